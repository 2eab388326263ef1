package oauth_test

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/ratelimit"
)

var deviceScope = []string{"openid", "urn:matrix:client:api:*", "urn:matrix:client:device:TVDEVICE01"}

// deviceGrant stores a pending device authorization as the device
// authorization endpoint would.
func (e *humanEnv) deviceGrant(c *domain.Client, userCode string, scope []string) *domain.DeviceCodeGrant {
	e.t.Helper()
	g := &domain.DeviceCodeGrant{
		ClientID:   c.ID,
		Scope:      scope,
		UserCode:   userCode,
		DeviceCode: "device-code-" + userCode,
		ExpiresAt:  e.clock.Now().Add(20 * time.Minute),
		IPAddress:  "192.0.2.7",
		UserAgent:  "CouchClient/1.0",
		Locale:     "en",
	}
	if err := e.store.DeviceCodeGrants().Add(context.Background(), g); err != nil {
		e.t.Fatal(err)
	}
	return g
}

func (e *humanEnv) deviceGrantNow(id domain.ID) *domain.DeviceCodeGrant {
	e.t.Helper()
	g, err := e.store.DeviceCodeGrants().Lookup(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return g
}

func TestDeviceLinkPage(t *testing.T) {
	for _, autoFill := range []bool{false, true} {
		e := newHumanEnv(t, humanOptions{autoFill: autoFill})
		res := e.browser().get("/link?code=abc123")
		if res.status != http.StatusOK || !strings.Contains(res.body, `action="/auth/link"`) {
			t.Fatalf("link page: %d\n%s", res.status, res.body)
		}
		prefilled := strings.Contains(res.body, `name="code" value="ABC123"`)
		if prefilled != autoFill {
			t.Errorf("auto-fill %v: prefilled %v\n%s", autoFill, prefilled, res.body)
		}
	}
}

func TestDeviceLinkFindsGrant(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	g := e.deviceGrant(c, "ABC123", deviceScope)
	if err := e.store.DeviceCodeGrants().Add(context.Background(), &domain.DeviceCodeGrant{
		ClientID: c.ID, Scope: deviceScope, UserCode: "OLD222", DeviceCode: "dc-old", ExpiresAt: e.clock.Now().Add(-time.Second),
	}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	token := csrfOf(t, b.get("/link"))

	tests := []struct {
		code   string
		status int
		target string
	}{
		{"abc123", http.StatusSeeOther, "/auth/device/" + g.ID.String()},
		{" abc-123 ", http.StatusSeeOther, "/auth/device/" + g.ID.String()},
		{"ZZZ999", http.StatusBadRequest, ""},
		{"OLD222", http.StatusBadRequest, ""},
		{"", http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		res := b.post("/link", url.Values{"csrf": {token}, "code": {tt.code}})
		if res.status != tt.status || res.location != tt.target {
			t.Errorf("code %q: %d %q\n%s", tt.code, res.status, res.location, res.body)
		}
		if tt.status == http.StatusBadRequest && !strings.Contains(res.body, `class="error"`) {
			t.Errorf("code %q: no error on the form", tt.code)
		}
	}
	if res := b.post("/link", url.Values{"code": {"ABC123"}}); res.status != http.StatusForbidden {
		t.Errorf("without CSRF: %d", res.status)
	}

	exhaust(e.h.Limits.DeviceCodeLinkPerIP, ratelimit.RequesterKey(netip.Addr{}))
	res := b.post("/link", url.Values{"csrf": {token}, "code": {"ABC123"}})
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Errorf("rate limited: %d %v", res.status, res.header)
	}
}

func TestDeviceConsentApprove(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	g := e.deviceGrant(c, "ABC123", deviceScope)
	e.user("alice")
	b := e.browser()
	path := "/device/" + g.ID.String()

	// Not logged in: to the login page, and back here afterwards.
	res := b.get(path)
	wantLogin := "/auth/login?id=" + g.ID.String() + "&kind=continue_device_code_grant"
	if res.status != http.StatusSeeOther || res.location != wantLogin {
		t.Fatalf("without session: %d %q", res.status, res.location)
	}
	login := b.get(res.location)
	res = b.post(wantLogin, url.Values{"csrf": {csrfOf(t, login)}, "username": {"alice"}, "password": {"pw"}})
	if res.location != "/auth"+path {
		t.Fatalf("after login: %q", res.location)
	}

	page := b.get(path)
	for _, want := range []string{"Test Client", "ABC123", "192.0.2.7", "CouchClient/1.0", "TVDEVICE01", `value="consent"`, `value="reject"`, "@alice:example.com"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("device consent page lacks %q", want)
		}
	}
	if page.status != http.StatusOK {
		t.Fatalf("device consent page: %d\n%s", page.status, page.body)
	}
	token := csrfOf(t, page)
	if res := b.post(path, url.Values{"action": {"consent"}}); res.status != http.StatusForbidden {
		t.Errorf("without CSRF: %d", res.status)
	}
	res = b.post(path, url.Values{"csrf": {token}, "action": {"consent"}})
	if res.status != http.StatusOK || !strings.Contains(res.body, "Device allowed") {
		t.Fatalf("consent: %d\n%s", res.status, res.body)
	}
	got := e.deviceGrantNow(g.ID)
	if got.Stage() != "fulfilled" || got.BrowserSessionID == nil {
		t.Errorf("grant after consent: %+v", got)
	}

	// Answered: the page says so, and a second answer changes nothing.
	if res := b.get(path); res.status != http.StatusConflict || !strings.Contains(res.body, "already used") {
		t.Errorf("answered grant page: %d\n%s", res.status, res.body)
	}
	if res := b.post(path, url.Values{"csrf": {token}, "action": {"reject"}}); res.status != http.StatusConflict {
		t.Errorf("second answer: %d", res.status)
	}
	if got := e.deviceGrantNow(g.ID); got.Stage() != "fulfilled" {
		t.Errorf("grant stage %s", got.Stage())
	}
}

func TestDeviceConsentReject(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	g := e.deviceGrant(c, "ABC123", deviceScope)
	b := loggedIn(t, e, "alice")
	path := "/device/" + g.ID.String()
	res := b.post(path, url.Values{"csrf": {csrfOf(t, b.get(path))}, "action": {"reject"}})
	if res.status != http.StatusOK || !strings.Contains(res.body, "Device denied") {
		t.Fatalf("reject: %d\n%s", res.status, res.body)
	}
	if got := e.deviceGrantNow(g.ID); got.Stage() != "rejected" || got.BrowserSessionID == nil {
		t.Errorf("grant after reject: %+v", got)
	}
	if res := b.post(path, url.Values{"csrf": {csrfOf(t, b.get("/"))}, "action": {"dance"}}); res.status != http.StatusConflict {
		t.Errorf("answer after reject: %d", res.status)
	}
}

func TestDeviceConsentExpired(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	g := e.deviceGrant(c, "ABC123", deviceScope)
	b := loggedIn(t, e, "alice")
	path := "/device/" + g.ID.String()
	if res := b.get(path); res.status != http.StatusOK {
		t.Fatalf("fresh grant: %d", res.status)
	}
	e.clock.Advance(21 * time.Minute)
	token := csrfOf(t, b.get("/")) // the page's own token expired meanwhile
	if res := b.get(path); res.status != http.StatusGone || !strings.Contains(res.body, "This code has expired") {
		t.Errorf("expired page: %d\n%s", res.status, res.body)
	}
	if res := b.post(path, url.Values{"csrf": {token}, "action": {"consent"}}); res.status != http.StatusGone {
		t.Errorf("consent to an expired grant: %d", res.status)
	}
	if got := e.deviceGrantNow(g.ID); got.Stage() != "pending" {
		t.Errorf("grant stage %s", got.Stage())
	}
	for _, p := range []string{"/device/nope", "/device/01ARZ3NDEKTSV4RRFFQ69G5FAV"} {
		if res := b.get(p); res.status != http.StatusNotFound {
			t.Errorf("%s: %d", p, res.status)
		}
	}
}

func TestDeviceConsentPolicyViolation(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	// A device scope without the client-server API scope is refused.
	g := e.deviceGrant(c, "ABC123", []string{"openid", "urn:matrix:client:device:TVDEVICE01"})
	b := loggedIn(t, e, "alice")
	path := "/device/" + g.ID.String()
	page := b.get(path)
	if page.status != http.StatusForbidden || !strings.Contains(page.body, "device scopes are only allowed when the client-server API scope is requested") {
		t.Fatalf("policy page: %d\n%s", page.status, page.body)
	}
	res := b.post(path, url.Values{"csrf": {csrfOf(t, page)}, "action": {"consent"}})
	if res.status != http.StatusForbidden {
		t.Errorf("consent despite policy: %d", res.status)
	}
	if got := e.deviceGrantNow(g.ID); got.Stage() != "pending" {
		t.Errorf("grant stage %s", got.Stage())
	}
}
