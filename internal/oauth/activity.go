package oauth

// Session activity: when and from where a session's tokens were last used.

import (
	"context"
	"errors"
	"time"

	"mas/internal/domain"
	"mas/internal/requestctx"
	"mas/internal/store"
)

// activityGranularity is how stale a session's last_active_at may get
// before a use of one of its tokens writes a fresh one. Upstream batches
// the same writes once a minute; throttling per session gives the same
// precision without in-memory state, and at most one write per session per
// minute on the introspection path.
const activityGranularity = time.Minute

// recordActivity notes that an OAuth 2.0 session was used. It writes only
// when the stored sighting is older than activityGranularity, so a busy
// session costs one write a minute, not one per request. Activity is
// best effort: a failure is logged, never returned.
func (h *Handler) recordActivity(ctx context.Context, s *domain.Session, ip string) {
	now := h.Clock.Now()
	if s.LastActiveAt != nil && now.Sub(*s.LastActiveAt) < activityGranularity {
		return
	}
	if err := h.Store.Sessions().RecordActivity(ctx, s.ID, now, ip); err != nil && !errors.Is(err, store.ErrNotFound) {
		requestctx.Logger(ctx).WarnContext(ctx, "recording oauth2 session activity", "session", s.ID, "error", err)
	}
}

// recordCompatActivity is recordActivity for compat sessions.
func (h *Handler) recordCompatActivity(ctx context.Context, s *domain.CompatSession, ip string) {
	now := h.Clock.Now()
	if s.LastActiveAt != nil && now.Sub(*s.LastActiveAt) < activityGranularity {
		return
	}
	if err := h.Store.CompatSessions().RecordActivity(ctx, s.ID, now, ip); err != nil && !errors.Is(err, store.ErrNotFound) {
		requestctx.Logger(ctx).WarnContext(ctx, "recording compat session activity", "session", s.ID, "error", err)
	}
}

// requesterIP is the client address as the HTTP layer worked it out, or
// "" when unknown.
func requesterIP(ctx context.Context) string {
	if ip := requestctx.ClientIP(ctx); ip.IsValid() {
		return ip.String()
	}
	return ""
}
