package oauth

// Session activity: when and from where a session's tokens were last used.
// Sightings go to the Handler's activity.Tracker, which writes them in
// batches (once a minute or every thousand sessions, as upstream), so no
// request waits on an activity write.

import (
	"context"

	"mas/internal/domain"
	"mas/internal/requestctx"
	"mas/internal/store"
)

// recordActivity notes that an OAuth 2.0 session was used now.
func (h *Handler) recordActivity(_ context.Context, s *domain.Session, ip string) {
	h.Activity.Record(store.ActivityOAuthSession, s.ID, h.Clock.Now(), ip)
}

// recordCompatActivity is recordActivity for compat sessions.
func (h *Handler) recordCompatActivity(_ context.Context, s *domain.CompatSession, ip string) {
	h.Activity.Record(store.ActivityCompatSession, s.ID, h.Clock.Now(), ip)
}

// requesterIP is the client address as the HTTP layer worked it out, or
// "" when unknown.
func requesterIP(ctx context.Context) string {
	if ip := requestctx.ClientIP(ctx); ip.IsValid() {
		return ip.String()
	}
	return ""
}
