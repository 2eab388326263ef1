package doctor

import "testing"

func TestServerNameHost(t *testing.T) {
	tests := []struct {
		name, host string
		ok         bool
	}{
		{"example.org", "example.org", true},
		{"Matrix.Example.org", "Matrix.Example.org", true},
		{"localhost:8008", "localhost", true},
		{"example.org:8448", "example.org", true},
		{"1.2.3.4", "1.2.3.4", true},
		{"1.2.3.4:8448", "1.2.3.4", true},
		{"[::1]", "[::1]", true},
		{"[2001:db8::1]:8448", "[2001:db8::1]", true},
		{"", "", false},
		{":8008", "", false},
		{"example.org:", "", false},
		{"example.org:0", "", false},
		{"example.org:65536", "", false},
		{"example.org:80a", "", false},
		{"example.org:8008:1", "", false},
		{"::1", "", false},
		{"[::1", "", false},
		{"[::1]x", "", false},
		{"[1.2.3.4]", "", false},
		{"[nope]", "", false},
		{"exa_mple.org", "", false},
		{"example.org/path", "", false},
		{"user@example.org", "", false},
	}
	for _, tt := range tests {
		host, err := serverNameHost(tt.name)
		if (err == nil) != tt.ok || host != tt.host {
			t.Errorf("serverNameHost(%q) = %q, %v; want %q, ok=%v", tt.name, host, err, tt.host, tt.ok)
		}
	}
}

func TestJoinKeepsBasePath(t *testing.T) {
	for base, want := range map[string]string{
		"http://hs:8008":          "http://hs:8008/_matrix/client/versions",
		"http://hs:8008/":         "http://hs:8008/_matrix/client/versions",
		"http://hs/synapse":       "http://hs/synapse/_matrix/client/versions",
		"http://hs/synapse/":      "http://hs/synapse/_matrix/client/versions",
		"https://hs/a%2Fb/?q=1#f": "https://hs/a%2Fb/_matrix/client/versions",
	} {
		u, err := baseURL(base)
		if err != nil {
			t.Fatalf("baseURL(%q): %v", base, err)
		}
		if got := join(u, "_matrix/client/versions").String(); got != want {
			t.Errorf("join(%q) = %q, want %q", base, got, want)
		}
	}
}
