package domain

import (
	"errors"
	"strings"
	"testing"
)

func validUpstreamSettings() UpstreamProviderSettings {
	return UpstreamProviderSettings{
		DiscoveryMode:            UpstreamDiscoveryOIDC,
		PKCEMethod:               UpstreamPKCEAuto,
		ResponseMode:             UpstreamResponseQuery,
		IDTokenSignedResponseAlg: "RS256",
		OnBackchannelLogout:      UpstreamBackchannelDoNothing,
		ClaimsImports: UpstreamClaimsImports{
			SubjectTemplate: "{{ user.sub }}",
			Localpart:       UpstreamLocalpartImport{Action: UpstreamImportIgnore, Template: "{{ user.preferred_username }}", OnConflict: UpstreamConflictFail},
			Displayname:     UpstreamAttributeImport{Action: UpstreamImportIgnore, Template: "{{ user.name }}"},
			Email:           UpstreamEmailImport{Action: UpstreamImportIgnore, Template: "{{ user.email }}", Verification: UpstreamEmailVerificationImport},
		},
		SignInWithApple: &UpstreamSignInWithApple{TeamID: "T", KeyID: "K", EncryptedPrivateKey: "sealed"},
	}
}

// Encode stamps the version; decoding gives the same settings back.
func TestUpstreamSettingsRoundTrip(t *testing.T) {
	doc, err := validUpstreamSettings().Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc, `"version":1`) {
		t.Errorf("document = %s", doc)
	}
	p := &UpstreamProvider{Settings: doc}
	s, err := p.DecodeSettings()
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != UpstreamSettingsVersion || s.SignInWithApple.EncryptedPrivateKey != "sealed" ||
		s.ClaimsImports.Email.Verification != UpstreamEmailVerificationImport {
		t.Errorf("decoded = %+v", s)
	}
}

// A document this binary cannot fully understand is refused, not half
// read: another version, an unknown value, not JSON.
func TestUpstreamSettingsRefused(t *testing.T) {
	good, _ := validUpstreamSettings().Encode()
	for name, doc := range map[string]string{
		"newer version":  strings.Replace(good, `"version":1`, `"version":2`, 1),
		"no version":     strings.Replace(good, `"version":1,`, ``, 1),
		"unknown mode":   strings.Replace(good, `"discovery_mode":"oidc"`, `"discovery_mode":"magic"`, 1),
		"unknown action": strings.Replace(good, `"action":"ignore"`, `"action":"maybe"`, 1),
		"not JSON":       "{",
	} {
		if _, err := DecodeUpstreamSettings(doc); !errors.Is(err, ErrUpstreamSettings) {
			t.Errorf("%s: error = %v", name, err)
		}
	}
	bad := validUpstreamSettings()
	bad.PKCEMethod = "sometimes"
	if _, err := bad.Encode(); !errors.Is(err, ErrUpstreamSettings) {
		t.Errorf("encoding an unknown pkce_method: %v", err)
	}
}
