package oauth

import (
	"context"
	"net/http"
	"testing"

	"mas/internal/domain"
)

// TestDeviceCodeBrowserSessionEnded: a device approved in a browser session
// that has since ended (the user signed out, an administrator ended it)
// gets no tokens, as an authorization code approved there would not.
func TestDeviceCodeBrowserSessionEnded(t *testing.T) {
	e := newTokenEnv(t)
	ctx := context.Background()
	c := e.client(func(c *domain.Client) { c.GrantDeviceCode = true })
	bs := e.login(e.user("alice"))
	g := e.deviceGrant(c, []string{"urn:matrix:client:api:*"})
	e.must(e.db.DeviceCodeGrants().Fulfill(ctx, g, bs.ID))
	e.must(e.db.BrowserSessions().Finish(ctx, bs))

	wantTokenError(t, e.tokenRequest(deviceForm(c, g.DeviceCode)), http.StatusBadRequest, ErrInvalidGrant)
	if n := e.count(`SELECT COUNT(*) FROM oauth2_sessions`); n != 0 {
		t.Fatalf("%d sessions issued for a device approved in an ended browser session", n)
	}
}
