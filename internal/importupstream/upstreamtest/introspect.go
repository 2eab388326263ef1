package upstreamtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// Introspect asks the service at base (ending in "/") about a token as
// the homeserver does, with the shared secret as bearer token and
// X-MAS-Supports-Device-Id: 1. authorize, when set, authenticates the
// request instead (as a client would) and may rewrite the form.
func Introspect(t testing.TB, base, secret, token string, authorize func(*http.Request, url.Values)) (int, map[string]any) {
	t.Helper()
	form := url.Values{"token": {token}}
	req, _ := http.NewRequest(http.MethodPost, strings.TrimSuffix(base, "/")+"/oauth2/introspect", nil)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-MAS-Supports-Device-Id", "1")
	if authorize != nil {
		authorize(req, form)
	} else {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	body := form.Encode()
	req.Body, req.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("introspection %s: %v", raw, err)
		}
	}
	return resp.StatusCode, out
}

// CheckAnswer compares the service's answer about tok with want
// (upstream's, or what the import's choices make of it).
func CheckAnswer(t testing.TB, tok Token, want Answer, got map[string]any) {
	t.Helper()
	active, _ := got["active"].(bool)
	if active != want.Active {
		t.Errorf("%s token %s…: active=%v, want %v (%v)", tok.Kind, tok.Value[:12], active, want.Active, got)
		return
	}
	if !active {
		if len(got) != 1 {
			t.Errorf("%s token %s…: inactive answer says more: %v", tok.Kind, tok.Value[:12], got)
		}
		return
	}
	str := func(k string) string { s, _ := got[k].(string); return s }
	for _, f := range []struct{ name, got, want string }{
		{"sub", str("sub"), want.Sub},
		{"username", str("username"), want.Username},
		{"client_id", str("client_id"), want.ClientID},
		{"device_id", str("device_id"), want.DeviceID},
	} {
		if f.got != f.want {
			t.Errorf("%s token %s…: %s=%q, want %q", tok.Kind, tok.Value[:12], f.name, f.got, f.want)
		}
	}
	scope := strings.Fields(str("scope"))
	slices.Sort(scope)
	scope = slices.Compact(scope)
	if !slices.Equal(scope, want.Scope) {
		t.Errorf("%s token %s…: scope %v, want %v", tok.Kind, tok.Value[:12], scope, want.Scope)
	}
}

// CheckTokens introspects every token of f at the service and compares
// the answers with upstream's; want, when set, adjusts the expected
// answer of a token. It returns an active access token, for further
// checks.
func CheckTokens(t testing.TB, base, secret string, f *Fixture, want func(Token) Answer) string {
	t.Helper()
	active := ""
	for _, tok := range f.Tokens {
		code, got := Introspect(t, base, secret, tok.Value, nil)
		if code != http.StatusOK {
			t.Fatalf("introspection answered %d", code)
		}
		expected := tok.Want
		if want != nil {
			expected = want(tok)
		}
		CheckAnswer(t, tok, expected, got)
		if expected.Active && tok.Kind == "mat" {
			active = tok.Value
		}
	}
	return active
}
