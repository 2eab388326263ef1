package domain

import "strings"

// Matrix scopes, in their stable (MSC2967 as merged) and unstable forms.
const (
	ScopeOpenID               = "openid"
	ScopeEmail                = "email"
	ScopeMatrixAPI            = "urn:matrix:client:api:*"
	ScopeMatrixAPIUnstable    = "urn:matrix:org.matrix.msc2967.client:api:*"
	ScopeDevicePrefix         = "urn:matrix:client:device:"
	ScopeDevicePrefixUnstable = "urn:matrix:org.matrix.msc2967.client:device:"
	ScopeSynapseAdmin         = "urn:synapse:admin:*"
	ScopeMASAdmin             = "urn:mas:admin"
	ScopeMASGraphQL           = "urn:mas:graphql:*"
)

// DeviceID returns the device named by a device scope token, in either form.
func DeviceID(scopeToken string) (string, bool) {
	if id, ok := strings.CutPrefix(scopeToken, ScopeDevicePrefix); ok && id != "" {
		return id, true
	}
	if id, ok := strings.CutPrefix(scopeToken, ScopeDevicePrefixUnstable); ok && id != "" {
		return id, true
	}
	return "", false
}

// DevicesInScope returns every distinct device named in a scope list.
func DevicesInScope(scope []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range scope {
		if id, ok := DeviceID(s); ok && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// MaxDeviceIDLength is the longest device ID Synapse accepts.
const MaxDeviceIDLength = 255

// deviceIDSymbols are the characters of a device ID besides letters and
// digits: URI unreserved and sub-delims characters, ':', '@' and '/'.
const deviceIDSymbols = "._~!$&'()*+,;=:@/-"

// IsDeviceID reports whether id can name a device: 1 to 255 characters,
// letters, digits or deviceIDSymbols. A device ID travels in a scope token
// (no spaces, quotes or backslashes there) and to Synapse, which refuses
// longer ones; control characters, spaces and line breaks have no place in
// either.
func IsDeviceID(id string) bool {
	if id == "" || len(id) > MaxDeviceIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(deviceIDSymbols, c) >= 0) {
			return false
		}
	}
	return true
}
