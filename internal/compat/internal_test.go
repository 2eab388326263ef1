package compat

import (
	"crypto/rand"
	"slices"
	"testing"
	"time"

	"mas/internal/domain"
)

func TestEvictionCandidates(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	ids := domain.NewIDGenerator(rand.Reader)
	at := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	day := 24 * time.Hour
	mk := func(name string, last *time.Time) *domain.CompatSession {
		return &domain.CompatSession{ID: ids.New(now), DeviceID: name, LastActiveAt: last}
	}
	// In ID (creation) order, as the store lists them.
	a := mk("A", at(200*day)) // inactive, longest ago
	b := mk("B", nil)         // never active
	c := mk("C", at(95*day))  // inactive
	d := mk("D", at(time.Hour))
	e := mk("E", nil)
	f := mk("F", at(time.Hour)) // same activity as D, created later
	all := []*domain.CompatSession{a, b, c, d, e, f}

	names := func(ss []*domain.CompatSession) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s.DeviceID)
		}
		return out
	}
	for _, tc := range []struct {
		need int
		want []string
	}{
		// Enough inactive sessions: only they are candidates, least
		// recently active first; never-active ones are not "inactive".
		{1, []string{"A", "C"}},
		{2, []string{"A", "C"}},
		// Too few: every session, never-active first (oldest first among
		// them), then by last activity, ties by age.
		{3, []string{"B", "E", "A", "C", "D", "F"}},
	} {
		if got := names(evictionCandidates(all, tc.need, now)); !slices.Equal(got, tc.want) {
			t.Errorf("need %d: %v, want %v", tc.need, got, tc.want)
		}
	}
	if got := evictionCandidates(nil, 1, now); len(got) != 0 {
		t.Errorf("no sessions: %v", got)
	}
}

func TestParseRedirectURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" for invalid
	}{
		{"https://client.example/cb?x=1#f", "https://client.example/cb?x=1#f"},
		{"https://client.example", "https://client.example/"},
		{"HTTPS://client.example:8443", "https://client.example:8443/"},
		{"http://[::1]:8080/cb", "http://[::1]:8080/cb"},
		{"im.example.app:/sso", "im.example.app:/sso"},
		{"im.example.app://callback", "im.example.app://callback"},
		{"https://@client.example/", "https://client.example/"},
		{"", ""},
		{"/relative", ""},
		{"client.example/cb", ""},
		{"https://user@client.example/", ""},
		{"https://user:pw@client.example/", ""},
		{"https://:pw@client.example/", ""},
		{"http:///cb", ""},
		{"http:opaque", ""},
		{"https://:443/", ""},
		{"https://bad host/", ""},
	} {
		got, ok := parseRedirectURL(tc.in)
		if (tc.want == "") == ok || got != tc.want {
			t.Errorf("parseRedirectURL(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}

func TestWithLoginToken(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://client.example/", "https://client.example/?loginToken=TOKEN"},
		{"https://client.example/cb?a=1&b=2", "https://client.example/cb?a=1&b=2&loginToken=TOKEN"},
		{"https://client.example/cb?a=1#frag", "https://client.example/cb?a=1&loginToken=TOKEN#frag"},
		{"im.example.app:/sso", "im.example.app:/sso?loginToken=TOKEN"},
	} {
		got, err := withLoginToken(tc.in, "TOKEN")
		if err != nil || got != tc.want {
			t.Errorf("withLoginToken(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestIsJSONContentType(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/json":                  true,
		"application/json; charset=utf-8":   true,
		"Application/JSON":                  true,
		"application/vnd.matrix+json":       true,
		"text/json":                         false,
		"text/plain":                        false,
		"application/x-www-form-urlencoded": false,
		"application/jsonx":                 false,
		"garbage;;":                         false,
	} {
		if got := isJSONContentType(ct); got != want {
			t.Errorf("isJSONContentType(%q) = %v", ct, got)
		}
	}
}
