package oauth

import (
	"strings"
	"testing"

	"mas/internal/i18n"
)

func TestDescribeScope(t *testing.T) {
	tests := []struct {
		token   string
		want    string
		warning bool
	}{
		{"openid", "Confirm who you are", false},
		{"email", "email address", false},
		{"urn:matrix:client:api:*", "read and send messages", false},
		{"urn:matrix:org.matrix.msc2967.client:api:*", "read and send messages", false},
		{"urn:matrix:client:device:ABCDEFGHIJ", "device ABCDEFGHIJ", false},
		{"urn:matrix:org.matrix.msc2967.client:device:ABCDEFGHIJ", "device ABCDEFGHIJ", false},
		{"urn:mas:graphql:*", "account details", false},
		{"urn:synapse:admin:*", "Administer the homeserver", true},
		{"urn:mas:admin", "Administer this authentication service", true},
		{"profile", "“profile”", false},
	}
	for _, tt := range tests {
		got := describeScope(tt.token)
		text, err := i18n.Default.Match("").T(got.Text.Key, got.Text.Args...)
		if err != nil {
			t.Fatal(err)
		}
		if got.Token != tt.token || !strings.Contains(text, tt.want) || got.Warning != tt.warning {
			t.Errorf("describeScope(%q) = %+v", tt.token, got)
		}
	}
}
