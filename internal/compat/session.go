package compat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"

	"mas/internal/domain"
	"mas/internal/login"
	"mas/internal/policy"
	"mas/internal/provisioning"
	"mas/internal/requestctx"
	"mas/internal/store"
	"mas/internal/tokens"
)

const (
	// deviceIDLength is the length of generated device IDs.
	deviceIDLength = 10
	// inactiveAfter is how long without activity makes a compat session
	// the first to go when a login evicts sessions.
	inactiveAfter = 90 * 24 * time.Hour
	// evictionPage is how many sessions of each kind (inactive, any) are
	// considered for eviction, as upstream's page size.
	evictionPage = 100
)

// errTokenRaced means another request redeemed the login token first.
var errTokenRaced = errors.New("login token exchanged concurrently")

// sessionPlan is what the checks before a login decided.
type sessionPlan struct {
	// evict are the compat sessions to end to make room under the hard
	// session limit (dangerous_hard_limit_eviction).
	evict []*domain.CompatSession
}

// startSession creates the compat session of an authenticated login.
//
// Order matters. Every check (device replacement, the policy) runs first,
// without writing. Then the device is created on the homeserver: if that
// fails, the client gets a 500 and nothing at all is stored. Only then is
// the session written, in one short transaction. Talking to the homeserver
// inside that transaction would hold SQLite's single write lock for the
// length of an HTTP call. If the write fails after the device was created,
// a device sync removes the orphan.
func (h *Handler) startSession(r *http.Request, req *loginRequest, auth *authenticated) (*loginResponse, *matrixError) {
	ctx := r.Context()
	user := auth.user
	deviceID := req.DeviceID
	if deviceID == "" {
		var err error
		if deviceID, err = tokens.RandomAlphanumeric(h.Rand, deviceIDLength); err != nil {
			return nil, h.fault(ctx, errLoginInternal, "generating device ID", err)
		}
	}
	plan, e := h.planSession(ctx, r, user, deviceID, auth.loginType)
	if e != nil {
		return nil, e
	}
	access, err := tokens.Generate(tokens.CompatAccessToken, h.Rand)
	if err != nil {
		return nil, h.fault(ctx, errLoginInternal, "generating access token", err)
	}
	var refresh string
	if req.RefreshToken {
		if refresh, err = tokens.Generate(tokens.CompatRefreshToken, h.Rand); err != nil {
			return nil, h.fault(ctx, errLoginInternal, "generating refresh token", err)
		}
	}

	pending, err := provisioning.CreatePendingDevices(ctx, h.Store, h.Homeserver, h.Clock, user, []string{deviceID}, req.DisplayName)
	if err != nil {
		return nil, h.fault(ctx, errLoginInternal, "creating the device on the homeserver", err)
	}

	now := h.Clock.Now()
	var expiresAt *time.Time
	if req.RefreshToken {
		t := now.Add(h.tokenTTL())
		expiresAt = &t
	}
	sess := &domain.CompatSession{
		UserID:           user.ID,
		DeviceID:         deviceID,
		BrowserSessionID: auth.browserSessionID,
		UserAgent:        userAgent(r),
		HumanName:        req.DisplayName,
		LastActiveAt:     &now,
		LastActiveIP:     clientIP(ctx),
	}
	err = store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		// Logins of one user take turns from here to commit, so each
		// finds and ends the session the one before it put on the device:
		// one live session per (user, device), however many race.
		if err := tx.Users().Hold(ctx, user.ID); err != nil {
			return err
		}
		if auth.password != nil {
			if _, err := login.StoreUpgrade(ctx, tx, *auth.password); err != nil {
				return err
			}
		}
		if err := finishDeviceHolders(ctx, tx, user.ID, deviceID); err != nil {
			return err
		}
		if len(plan.evict) > 0 {
			if err := evict(ctx, tx, plan.evict); err != nil {
				return err
			}
			// The evicted sessions' devices must leave the homeserver,
			// which otherwise keeps honouring their cached tokens.
			if err := tx.Jobs().Enqueue(ctx, domain.SyncDevicesJob{UserID: user.ID}); err != nil {
				return err
			}
		}
		if err := tx.CompatSessions().Add(ctx, sess); err != nil {
			return err
		}
		if auth.sso != nil {
			if err := tx.CompatSSOLogins().Exchange(ctx, auth.sso, sess.ID); err != nil {
				if isConflict(err) {
					return errTokenRaced
				}
				return err
			}
		}
		at, err := tx.CompatAccessTokens().Add(ctx, sess.ID, access, expiresAt)
		if err != nil {
			return err
		}
		if req.RefreshToken {
			if _, err := tx.CompatRefreshTokens().Add(ctx, sess.ID, at.ID, refresh); err != nil {
				return err
			}
		}
		return pending.Done(ctx, tx)
	})
	if err != nil {
		if aerr := pending.Abort(ctx); aerr != nil {
			requestctx.Logger(ctx).ErrorContext(ctx, "forgetting the pending device after a failed login", "user_id", user.ID.String(), "error", aerr)
		}
		h.syncDevicesLater(ctx, user.ID)
		if errors.Is(err, errTokenRaced) {
			return nil, errLoginTokenInvalid
		}
		return nil, h.fault(ctx, errLoginInternal, "storing compat session", err)
	}

	resp := &loginResponse{AccessToken: access, DeviceID: deviceID, UserID: h.Homeserver.MXID(user.Username)}
	if req.RefreshToken {
		resp.RefreshToken = refresh
		resp.ExpiresInMS = h.tokenTTL().Milliseconds()
	}
	return resp, nil
}

// planSession runs the checks of a login that is about to create a session
// holding deviceID: whether it replaces sessions holding that device, and
// the compat_login policy with the user's session counts.
func (h *Handler) planSession(ctx context.Context, r *http.Request, user *domain.User, deviceID, loginType string) (*sessionPlan, *matrixError) {
	engine := h.policyEngine()
	in := policy.CompatLoginInput{
		User:      policyUser(user),
		Login:     policy.CompatLogin{Type: loginType},
		Requester: requester(r),
	}
	// Without a session limit the counts decide nothing: skip their five
	// queries (on PostgreSQL the database shares the CPU with hashing).
	if engine.CompatLoginCountsSessions() {
		if e := h.countSessions(ctx, user, deviceID, &in); e != nil {
			return nil, e
		}
	}
	vs := engine.CompatLogin(in)
	plan := &sessionPlan{}
	switch {
	case len(vs) == 0:
		return plan, nil
	case len(vs) == 1 && vs[0].Code == policy.CodeTooManySessions:
		// Only the session limit can be lifted by ending sessions; with
		// any other violation besides, ending sessions would not help.
		if !h.Settings.HardLimitEviction {
			return nil, errHardSessionLimit
		}
		need := max(vs[0].NeedToRemove, 1)
		active, err := h.Store.CompatSessions().ListActiveForUser(ctx, user.ID)
		if err != nil {
			return nil, h.fault(ctx, errLoginInternal, "listing compat sessions", err)
		}
		candidates := evictionCandidates(active, need, h.Clock.Now())
		if len(candidates) < need {
			// Only compat sessions are ended automatically; the others
			// are the user's to end.
			return nil, errHardSessionLimit
		}
		plan.evict = candidates[:need]
		requestctx.Logger(ctx).InfoContext(ctx, "ending compat sessions to make room under the hard session limit",
			"user_id", user.ID.String(), "count", need)
		return plan, nil
	default:
		requestctx.Logger(ctx).InfoContext(ctx, "compat login denied by policy",
			"user_id", user.ID.String(), "violations", policy.Join(vs))
		return nil, errPolicyRejected
	}
}

// countSessions fills in the session counts of a login that is about to
// create a session holding deviceID, and whether it replaces sessions
// holding that device.
func (h *Handler) countSessions(ctx context.Context, user *domain.User, deviceID string, in *policy.CompatLoginInput) *matrixError {
	replacedCompat, err := h.Store.CompatSessions().ListActiveForDevice(ctx, user.ID, deviceID)
	if err != nil {
		return h.fault(ctx, errLoginInternal, "listing sessions holding the device", err)
	}
	oauthSessions, err := h.Store.Sessions().ListActiveForUser(ctx, user.ID)
	if err != nil {
		return h.fault(ctx, errLoginInternal, "listing OAuth 2.0 sessions", err)
	}
	replacedOAuth := 0
	for _, s := range oauthSessions {
		if holdsDevice(s, deviceID) {
			replacedOAuth++
		}
	}
	counts, err := login.SessionCounts(ctx, h.Store, user.ID)
	if err != nil {
		return h.fault(ctx, errLoginInternal, "counting sessions", err)
	}
	// The counts are those after the replaced sessions have ended, as the
	// policy sees them upstream.
	counts.OAuth2 -= int64(replacedOAuth)
	counts.Compat -= int64(len(replacedCompat))
	counts.Total = counts.OAuth2 + counts.Compat + counts.Personal
	in.SessionCounts = counts
	in.SessionReplaced = len(replacedCompat)+replacedOAuth > 0
	return nil
}

// evictionCandidates orders the sessions a login may end, first to go
// first, as upstream picks them: sessions inactive for inactiveAfter, and
// when those are too few every session, then least recently active first
// (never-active sessions before all others), oldest first among equals.
// sessions must be ordered by ID, as the store lists them.
func evictionCandidates(sessions []*domain.CompatSession, need int, now time.Time) []*domain.CompatSession {
	page := max(need, evictionPage)
	threshold := now.Add(-inactiveAfter)
	var out []*domain.CompatSession
	for _, s := range sessions {
		if len(out) == page {
			break
		}
		if s.LastActiveAt != nil && s.LastActiveAt.Before(threshold) {
			out = append(out, s)
		}
	}
	if len(out) < need {
		for _, s := range sessions[:min(page, len(sessions))] {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].LastActiveAt, out[j].LastActiveAt
		switch {
		case a == nil && b == nil:
		case a == nil:
			return true
		case b == nil:
			return false
		case !a.Equal(*b):
			return a.Before(*b)
		}
		return out[i].ID.Compare(out[j].ID) < 0
	})
	return out
}

// finishDeviceHolders ends the user's sessions holding deviceID: a login
// that reuses a device ID takes the device over.
func finishDeviceHolders(ctx context.Context, tx store.Tx, userID domain.ID, deviceID string) error {
	compat, err := tx.CompatSessions().ListActiveForDevice(ctx, userID, deviceID)
	if err != nil {
		return err
	}
	for _, s := range compat {
		if err := tx.CompatSessions().Finish(ctx, s); err != nil && !isConflict(err) {
			return fmt.Errorf("finishing compat session holding the device: %w", err)
		}
	}
	oauth, err := tx.Sessions().ListActiveForUser(ctx, userID)
	if err != nil {
		return err
	}
	for _, s := range oauth {
		if !holdsDevice(s, deviceID) {
			continue
		}
		if err := tx.Sessions().Finish(ctx, s); err != nil && !isConflict(err) {
			return fmt.Errorf("finishing OAuth 2.0 session holding the device: %w", err)
		}
	}
	return nil
}

// evict ends the given compat sessions; one already ended meanwhile is
// fine.
func evict(ctx context.Context, tx store.Tx, sessions []*domain.CompatSession) error {
	for _, s := range sessions {
		if err := tx.CompatSessions().Finish(ctx, s); err != nil && !isConflict(err) {
			return fmt.Errorf("evicting compat session: %w", err)
		}
	}
	return nil
}

func holdsDevice(s *domain.Session, deviceID string) bool {
	return slices.Contains(domain.DevicesInScope(s.Scope), deviceID)
}

// syncDevicesLater schedules a device sync outside any transaction, to
// clean up after a failure that left the homeserver ahead of the database.
func (h *Handler) syncDevicesLater(ctx context.Context, userID domain.ID) {
	// The request may have been cancelled; the cleanup must still happen.
	ctx = context.WithoutCancel(ctx)
	if err := h.Store.Jobs().Enqueue(ctx, domain.SyncDevicesJob{UserID: userID}); err != nil {
		requestctx.Logger(ctx).ErrorContext(ctx, "scheduling a device sync after a failed login", "user_id", userID.String(), "error", err)
	}
}

func policyUser(u *domain.User) policy.User {
	return policy.User{ID: u.ID.String(), Username: u.Username, CanRequestAdmin: u.CanRequestAdmin}
}

func requester(r *http.Request) policy.Requester {
	return policy.Requester{IPAddress: requestctx.ClientIP(r.Context()), UserAgent: userAgent(r)}
}

// userAgent prefers the value the HTTP layer recorded for the request.
func userAgent(r *http.Request) string {
	if ua := requestctx.UserAgent(r.Context()); ua != "" {
		return ua
	}
	return r.UserAgent()
}

func clientIP(ctx context.Context) string {
	if ip := requestctx.ClientIP(ctx); ip.IsValid() {
		return ip.String()
	}
	return ""
}

// isConflict reports a state transition lost to another request.
func isConflict(err error) bool {
	return errors.Is(err, domain.ErrInvalidTransition) || errors.Is(err, store.ErrConflict)
}
