package oauth

// Helpers shared by the token endpoint, its grants and the endpoints that
// accept the tokens it issues (introspection, revocation, userinfo).

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"mas/internal/domain"
	"mas/internal/provisioning"
	"mas/internal/requestctx"
	"mas/internal/store"
	"mas/internal/tokens"
)

const (
	// defaultAccessTokenTTL applies when Settings.AccessTokenTTL is unset
	// (experimental.access_token_ttl defaults to five minutes).
	defaultAccessTokenTTL = 5 * time.Minute
	// activityGranularity is how stale a session's last_active_at may get
	// before a use of one of its tokens writes a fresh one. Upstream
	// batches the same writes once a minute; throttling per session gives
	// the same precision without in-memory state, and at most one write
	// per session per minute on the introspection path.
	activityGranularity = time.Minute
	// clientIDLegacy is the client_id compat sessions introspect with.
	clientIDLegacy = "legacy"
)

// tokenTTL is the lifetime of the OAuth access tokens issued now.
func (h *Handler) tokenTTL() time.Duration {
	if h.Settings.AccessTokenTTL > 0 {
		return h.Settings.AccessTokenTTL
	}
	return defaultAccessTokenTTL
}

// tokenLogger is the logger for part C's handlers: the handler's, with the
// request ID when there is one.
func (h *Handler) tokenLogger(ctx context.Context) *slog.Logger {
	if h.Logger == nil {
		return requestctx.Logger(ctx)
	}
	if id := requestctx.RequestID(ctx); id != "" {
		return h.Logger.With("request_id", id)
	}
	return h.Logger
}

// serverFault logs an unexpected failure and returns the opaque 500 the
// client sees.
func (h *Handler) serverFault(ctx context.Context, what string, err error) *Error {
	h.tokenLogger(ctx).ErrorContext(ctx, what, "error", err)
	return serverError()
}

// formParam returns a form parameter that may be absent. RFC 6749 §3.2
// forbids repeating a parameter, so a repetition is an invalid_request
// rather than a silent choice of one value.
func formParam(form url.Values, name string) (string, *Error) {
	switch v := form[name]; len(v) {
	case 0:
		return "", nil
	case 1:
		return v[0], nil
	default:
		return "", newError(ErrInvalidRequest, 0, "the "+name+" parameter is repeated")
	}
}

// requiredFormParam is formParam for a parameter that must be present and
// non-empty.
func requiredFormParam(form url.Values, name string) (string, *Error) {
	v, e := formParam(form, name)
	if e != nil {
		return "", e
	}
	if v == "" {
		return "", newError(ErrInvalidRequest, 0, "the "+name+" parameter is missing")
	}
	return v, nil
}

// bearerToken extracts the credential of an "Authorization: Bearer"
// header. The scheme name is case-insensitive (RFC 9110 §11.1).
func bearerToken(r *http.Request) (token string, present bool) {
	auth := r.Header.Get("Authorization")
	scheme, rest, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

// scopeList parses a space-separated scope into the set upstream keeps:
// duplicates dropped, in byte order.
func scopeList(s string) []string {
	return canonicalScope(strings.Fields(s))
}

// canonicalScope sorts and de-duplicates a scope, which is how upstream's
// scope type (an ordered set) serialises it in every response.
func canonicalScope(scope []string) []string {
	out := slices.Clone(scope)
	slices.Sort(out)
	return slices.Compact(out)
}

// scopeString renders a scope for a response.
func scopeString(scope []string) string {
	return strings.Join(canonicalScope(scope), " ")
}

// scopeIncludes reports whether the scope grants one token.
func scopeIncludes(scope []string, token string) bool {
	return slices.Contains(scope, token)
}

// unixSeconds is an instant as a JWT/introspection NumericDate.
func unixSeconds(t time.Time) *int64 {
	s := t.Unix()
	return &s
}

// newTokenPair mints the strings of an access and a refresh token.
func (h *Handler) newTokenPair() (access, refresh string, err error) {
	if access, err = tokens.Generate(tokens.AccessToken, h.Rand); err != nil {
		return "", "", err
	}
	if refresh, err = tokens.Generate(tokens.RefreshToken, h.Rand); err != nil {
		return "", "", err
	}
	return access, refresh, nil
}

// errDeviceProvisioning marks a failure of the homeserver while creating a
// session's device; the token request fails with nothing committed.
var errDeviceProvisioning = errors.New("provisioning the device on the homeserver")

// provisionDevices creates on the homeserver every device the scope names,
// synchronously: a client must be able to use its token the moment it
// gets it, and Synapse refuses tokens whose device it does not know. It
// runs before the write transaction so that no database lock (SQLite has
// one writer) is held while the homeserver answers. The devices stay marked
// pending, safe from concurrent device syncs, until the write transaction
// calls Done on the result (nil when the scope names no device).
func (h *Handler) provisionDevices(ctx context.Context, user *domain.User, client *domain.Client, scope []string) (*provisioning.PendingDevices, error) {
	pending, err := provisioning.CreatePendingDevices(ctx, h.Store, h.Homeserver, h.Clock, user,
		domain.DevicesInScope(scope), deviceDisplayName(client))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errDeviceProvisioning, err)
	}
	return pending, nil
}

// forgetOrphanDevices schedules a device sync after a token request created
// devices but then failed to commit its session, so that the homeserver
// does not keep a device no session holds. The pending marks go first, or
// the sync would keep the devices.
func (h *Handler) forgetOrphanDevices(ctx context.Context, user *domain.User, pending *provisioning.PendingDevices) {
	if pending == nil {
		return
	}
	if err := pending.Abort(ctx); err != nil {
		requestctx.Logger(ctx).Error("forgetting pending devices after a failed token request", "error", err)
	}
	if err := h.Store.Jobs().Enqueue(context.WithoutCancel(ctx), domain.SyncDevicesJob{UserID: user.ID}); err != nil {
		requestctx.Logger(ctx).Error("scheduling a device sync after a failed token request", "error", err)
	}
}

// deviceDisplayName is the name a new device gets on the homeserver: the
// client's name, which is what users recognise in their session list.
func deviceDisplayName(client *domain.Client) string {
	if client.ClientName != "" {
		return client.ClientName
	}
	return client.ID.String()
}

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
		h.tokenLogger(ctx).WarnContext(ctx, "recording oauth2 session activity", "session", s.ID, "error", err)
	}
}

// recordCompatActivity is recordActivity for compat sessions.
func (h *Handler) recordCompatActivity(ctx context.Context, s *domain.CompatSession, ip string) {
	now := h.Clock.Now()
	if s.LastActiveAt != nil && now.Sub(*s.LastActiveAt) < activityGranularity {
		return
	}
	if err := h.Store.CompatSessions().RecordActivity(ctx, s.ID, now, ip); err != nil && !errors.Is(err, store.ErrNotFound) {
		h.tokenLogger(ctx).WarnContext(ctx, "recording compat session activity", "session", s.ID, "error", err)
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
