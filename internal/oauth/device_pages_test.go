package oauth_test

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"mas/internal/browsertest"
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
		res := e.browser().Get("/link?code=abc123")
		if res.Status != http.StatusOK || !strings.Contains(res.Body, `action="/auth/link"`) {
			t.Fatalf("link page: %d\n%s", res.Status, res.Body)
		}
		prefilled := strings.Contains(res.Body, `name="code" value="ABC123"`)
		if prefilled != autoFill {
			t.Errorf("auto-fill %v: prefilled %v\n%s", autoFill, prefilled, res.Body)
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
	token := browsertest.CSRFOf(t, b.Get("/link"))

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
		res := b.Post("/link", url.Values{"csrf": {token}, "code": {tt.code}})
		if res.Status != tt.status || res.Location != tt.target {
			t.Errorf("code %q: %d %q\n%s", tt.code, res.Status, res.Location, res.Body)
		}
		if tt.status == http.StatusBadRequest && !strings.Contains(res.Body, `id="error-code"`) {
			t.Errorf("code %q: no error on the form", tt.code)
		}
	}
	if res := b.Post("/link", url.Values{"code": {"ABC123"}}); res.Status != http.StatusForbidden {
		t.Errorf("without CSRF: %d", res.Status)
	}

	exhaust(e.h.Limits.DeviceCodeLinkPerIP, ratelimit.RequesterKey(netip.Addr{}))
	res := b.Post("/link", url.Values{"csrf": {token}, "code": {"ABC123"}})
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("rate limited: %d %v", res.Status, res.Header)
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
	res := b.Get(path)
	wantLogin := "/auth/login?id=" + g.ID.String() + "&kind=continue_device_code_grant"
	if res.Status != http.StatusSeeOther || res.Location != wantLogin {
		t.Fatalf("without session: %d %q", res.Status, res.Location)
	}
	login := b.Get(res.Location)
	res = b.Post(wantLogin, url.Values{"csrf": {browsertest.CSRFOf(t, login)}, "username": {"alice"}, "password": {"pw"}})
	if res.Location != "/auth"+path {
		t.Fatalf("after login: %q", res.Location)
	}

	page := b.Get(path)
	for _, want := range []string{"Test Client", "ABC123", "192.0.2.7", "CouchClient/1.0", "TVDEVICE01", `value="consent"`, `value="reject"`, "@alice:example.com"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("device consent page lacks %q", want)
		}
	}
	if page.Status != http.StatusOK {
		t.Fatalf("device consent page: %d\n%s", page.Status, page.Body)
	}
	token := browsertest.CSRFOf(t, page)
	if res := b.Post(path, url.Values{"action": {"consent"}}); res.Status != http.StatusForbidden {
		t.Errorf("without CSRF: %d", res.Status)
	}
	res = b.Post(path, url.Values{"csrf": {token}, "action": {"consent"}})
	if res.Status != http.StatusOK || !strings.Contains(res.Body, "Device allowed") {
		t.Fatalf("consent: %d\n%s", res.Status, res.Body)
	}
	got := e.deviceGrantNow(g.ID)
	if got.Stage() != domain.StageFulfilled || got.BrowserSessionID == nil {
		t.Errorf("grant after consent: %+v", got)
	}

	// Answered: the page says so, and a second answer changes nothing.
	if res := b.Get(path); res.Status != http.StatusConflict || !strings.Contains(res.Body, "already used") {
		t.Errorf("answered grant page: %d\n%s", res.Status, res.Body)
	}
	if res := b.Post(path, url.Values{"csrf": {token}, "action": {"reject"}}); res.Status != http.StatusConflict {
		t.Errorf("second answer: %d", res.Status)
	}
	if got := e.deviceGrantNow(g.ID); got.Stage() != domain.StageFulfilled {
		t.Errorf("grant stage %s", got.Stage())
	}
}

func TestDeviceConsentReject(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	g := e.deviceGrant(c, "ABC123", deviceScope)
	b := loggedIn(t, e, "alice")
	path := "/device/" + g.ID.String()
	res := b.Post(path, url.Values{"csrf": {browsertest.CSRFOf(t, b.Get(path))}, "action": {"reject"}})
	if res.Status != http.StatusOK || !strings.Contains(res.Body, "Device denied") {
		t.Fatalf("reject: %d\n%s", res.Status, res.Body)
	}
	if got := e.deviceGrantNow(g.ID); got.Stage() != domain.StageRejected || got.BrowserSessionID == nil {
		t.Errorf("grant after reject: %+v", got)
	}
	if res := b.Post(path, url.Values{"csrf": {browsertest.CSRFOf(t, b.Get("/"))}, "action": {"dance"}}); res.Status != http.StatusConflict {
		t.Errorf("answer after reject: %d", res.Status)
	}
}

func TestDeviceConsentExpired(t *testing.T) {
	e := newHumanEnv(t, humanOptions{})
	c := e.client(cb)
	g := e.deviceGrant(c, "ABC123", deviceScope)
	b := loggedIn(t, e, "alice")
	path := "/device/" + g.ID.String()
	if res := b.Get(path); res.Status != http.StatusOK {
		t.Fatalf("fresh grant: %d", res.Status)
	}
	e.clock.Advance(21 * time.Minute)
	token := browsertest.CSRFOf(t, b.Get("/")) // the page's own token expired meanwhile
	if res := b.Get(path); res.Status != http.StatusGone || !strings.Contains(res.Body, "This code has expired") {
		t.Errorf("expired page: %d\n%s", res.Status, res.Body)
	}
	if res := b.Post(path, url.Values{"csrf": {token}, "action": {"consent"}}); res.Status != http.StatusGone {
		t.Errorf("consent to an expired grant: %d", res.Status)
	}
	if got := e.deviceGrantNow(g.ID); got.Stage() != domain.StagePending {
		t.Errorf("grant stage %s", got.Stage())
	}
	for _, p := range []string{"/device/nope", "/device/01ARZ3NDEKTSV4RRFFQ69G5FAV"} {
		if res := b.Get(p); res.Status != http.StatusNotFound {
			t.Errorf("%s: %d", p, res.Status)
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
	page := b.Get(path)
	if page.Status != http.StatusForbidden || !strings.Contains(page.Body, "device scopes are only allowed when the client-server API scope is requested") {
		t.Fatalf("policy page: %d\n%s", page.Status, page.Body)
	}
	res := b.Post(path, url.Values{"csrf": {browsertest.CSRFOf(t, page)}, "action": {"consent"}})
	if res.Status != http.StatusForbidden {
		t.Errorf("consent despite policy: %d", res.Status)
	}
	if got := e.deviceGrantNow(g.ID); got.Stage() != domain.StagePending {
		t.Errorf("grant stage %s", got.Stage())
	}
}
