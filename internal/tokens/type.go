// Package tokens generates and recognises the opaque token strings handed out
// to clients, and the shorter random secrets (codes, client secrets) used
// elsewhere.
//
// Token strings must stay byte-for-byte compatible with the upstream service:
// tokens issued before a migration are looked up verbatim in the database, and
// the checksum lets us reject mistyped or truncated tokens without a query.
package tokens

import "fmt"

// Type is the kind of a token, encoded in its three-letter prefix.
type Type int

// Token kinds. The zero value is deliberately not a valid kind so that an
// uninitialised Type is caught by Generate.
const (
	AccessToken Type = iota + 1
	RefreshToken
	CompatAccessToken
	CompatRefreshToken
	PersonalAccessToken
)

var prefixes = map[Type]string{
	AccessToken:         "mat",
	RefreshToken:        "mar",
	CompatAccessToken:   "mct",
	CompatRefreshToken:  "mcr",
	PersonalAccessToken: "mpt",
}

var names = map[Type]string{
	AccessToken:         "access token",
	RefreshToken:        "refresh token",
	CompatAccessToken:   "compat access token",
	CompatRefreshToken:  "compat refresh token",
	PersonalAccessToken: "personal access token",
}

// Prefix returns the three-letter prefix of tokens of this kind, or "" for an
// unknown kind.
func (t Type) Prefix() string { return prefixes[t] }

// String returns a human-readable name, suitable for error messages and logs.
func (t Type) String() string {
	if n, ok := names[t]; ok {
		return n
	}
	return fmt.Sprintf("tokens.Type(%d)", int(t))
}

func (t Type) valid() bool {
	_, ok := prefixes[t]
	return ok
}

// typeForPrefix maps a prefix back to its kind.
func typeForPrefix(prefix string) (Type, bool) {
	for t, p := range prefixes {
		if p == prefix {
			return t, true
		}
	}
	return 0, false
}
