package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/homeserver"
	"mas/internal/store"
)

// Deps are what the job workers act on.
type Deps struct {
	Store      store.Store
	Homeserver homeserver.Connection
	Clock      clock.Clock
	Logger     *slog.Logger
	// Expiration is the inactive-session expiry; nil turns it off.
	Expiration *Expiration
	// Mail is what the mail jobs need (email.go).
	Mail Mail
}

// Workers registers a worker for every job kind.
func Workers(d Deps) *river.Workers {
	// The workers log on success and stamp deactivations; a missing logger
	// or clock would otherwise panic only once a job succeeds.
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	w := river.NewWorkers()
	river.AddWorker(w, &provisionUserWorker{d: d})
	river.AddWorker(w, &syncDevicesWorker{d: d})
	river.AddWorker(w, &deactivateUserWorker{d: d})
	river.AddWorker(w, &reactivateUserWorker{d: d})
	addEmailWorkers(w, d)
	river.AddWorker(w, &cleanupWorker[domain.PruneStalePolicyDataJob]{
		logger: d.Logger, msg: "pruned stale policy data",
		remove: func(ctx context.Context) (int, error) {
			return d.Store.PolicyData().Prune(ctx, policyDataKept)
		},
	})
	river.AddWorker(w, &cleanupWorker[domain.CleanupClientAssertionsJob]{
		logger: d.Logger, msg: "forgot expired client assertions",
		remove: func(ctx context.Context) (int, error) {
			return d.Store.ClientAssertions().DeleteExpired(ctx, d.Clock.Now())
		},
	})
	river.AddWorker(w, &cleanupWorker[domain.CleanupPendingDevicesJob]{
		logger: d.Logger, msg: "forgot expired pending devices",
		remove: func(ctx context.Context) (int, error) {
			return d.Store.PendingDevices().DeleteExpired(ctx, d.Clock.Now())
		},
	})
	// olderThan is the cut-off of a clean-up that keeps what is younger
	// than keep.
	olderThan := func(keep time.Duration) time.Time { return d.Clock.Now().Add(-keep) }
	river.AddWorker(w, &cleanupWorker[domain.CleanupRevokedOAuthAccessTokensJob]{
		logger: d.Logger, msg: "deleted revoked oauth2 access tokens",
		remove: func(ctx context.Context) (int, error) {
			return d.Store.AccessTokens().DeleteRevoked(ctx, olderThan(revokedTokensKept))
		},
	})
	river.AddWorker(w, &cleanupWorker[domain.CleanupExpiredOAuthAccessTokensJob]{
		logger: d.Logger, msg: "deleted expired oauth2 access tokens",
		remove: func(ctx context.Context) (int, error) {
			return d.Store.AccessTokens().DeleteExpired(ctx, olderThan(expiredAccessTokensKept))
		},
	})
	river.AddWorker(w, &cleanupWorker[domain.CleanupRevokedOAuthRefreshTokensJob]{
		logger: d.Logger, msg: "deleted revoked oauth2 refresh tokens",
		remove: func(ctx context.Context) (int, error) {
			return d.Store.RefreshTokens().DeleteRevoked(ctx, olderThan(revokedTokensKept))
		},
	})
	river.AddWorker(w, &cleanupWorker[domain.CleanupConsumedOAuthRefreshTokensJob]{
		logger: d.Logger, msg: "deleted consumed oauth2 refresh tokens",
		remove: func(ctx context.Context) (int, error) {
			return d.Store.RefreshTokens().DeleteConsumed(ctx, olderThan(consumedRefreshTokensKept))
		},
	})
	river.AddWorker(w, &cleanupWorker[domain.CleanupOAuthAuthorizationGrantsJob]{
		logger: d.Logger, msg: "deleted old oauth2 authorization grants",
		remove: func(ctx context.Context) (int, error) {
			return d.Store.AuthorizationGrants().DeleteCreatedBefore(ctx, olderThan(grantsKept))
		},
	})
	river.AddWorker(w, &cleanupWorker[domain.CleanupUnusedOAuthAuthorizationGrantsJob]{
		logger: d.Logger, msg: "deleted unused oauth2 authorization grants",
		remove: func(ctx context.Context) (int, error) {
			return d.Store.AuthorizationGrants().DeleteUnusedCreatedBefore(ctx, olderThan(unusedPreLoginKept))
		},
	})
	river.AddWorker(w, &cleanupWorker[domain.CleanupUnusedCompatSSOLoginsJob]{
		logger: d.Logger, msg: "deleted unused compat SSO logins",
		remove: func(ctx context.Context) (int, error) {
			return d.Store.CompatSSOLogins().DeleteUnexchangedCreatedBefore(ctx, olderThan(unusedPreLoginKept))
		},
	})
	river.AddWorker(w, &cleanupWorker[domain.CleanupOAuthDeviceCodeGrantsJob]{
		logger: d.Logger, msg: "deleted old oauth2 device code grants",
		remove: func(ctx context.Context) (int, error) {
			return d.Store.DeviceCodeGrants().DeleteCreatedBefore(ctx, olderThan(grantsKept))
		},
	})
	addHousekeepingWorkers(w, d)
	return w
}

// DefaultSchedules are the recurring jobs every deployment runs.
func DefaultSchedules() []Schedule {
	return append([]Schedule{
		{Name: "prune-stale-policy-data", Spec: "0 0 2 * * *", Job: func() domain.Job { return domain.PruneStalePolicyDataJob{} }},
		{Name: "cleanup-client-assertions", Spec: "0 50 * * * *", Job: func() domain.Job { return domain.CleanupClientAssertionsJob{} }},
		{Name: "cleanup-pending-devices", Spec: "0 40 * * * *", Job: func() domain.Job { return domain.CleanupPendingDevicesJob{} }},
		// Upstream's OAuth 2.0 clean-ups, at upstream's times.
		{Name: "cleanup-revoked-oauth-access-tokens", Spec: "0 0 * * * *", Job: func() domain.Job { return domain.CleanupRevokedOAuthAccessTokensJob{} }},
		{Name: "cleanup-expired-oauth-access-tokens", Spec: "0 5 */4 * * *", Job: func() domain.Job { return domain.CleanupExpiredOAuthAccessTokensJob{} }},
		{Name: "cleanup-revoked-oauth-refresh-tokens", Spec: "0 5 * * * *", Job: func() domain.Job { return domain.CleanupRevokedOAuthRefreshTokensJob{} }},
		{Name: "cleanup-consumed-oauth-refresh-tokens", Spec: "0 5 * * * *", Job: func() domain.Job { return domain.CleanupConsumedOAuthRefreshTokensJob{} }},
		{Name: "cleanup-oauth-authorization-grants", Spec: "0 30 * * * *", Job: func() domain.Job { return domain.CleanupOAuthAuthorizationGrantsJob{} }},
		{Name: "cleanup-oauth-device-code-grants", Spec: "0 35 * * * *", Job: func() domain.Job { return domain.CleanupOAuthDeviceCodeGrantsJob{} }},
		// Ours: what unauthenticated requests leave behind goes within
		// two hours instead of seven days (upstream never deletes unused
		// compat SSO logins at all).
		{Name: "cleanup-unused-oauth-authorization-grants", Spec: "0 25 * * * *", Job: func() domain.Job { return domain.CleanupUnusedOAuthAuthorizationGrantsJob{} }},
		{Name: "cleanup-unused-compat-sso-logins", Spec: "0 45 * * * *", Job: func() domain.Job { return domain.CleanupUnusedCompatSSOLoginsJob{} }},
		{Name: "cleanup-unused-upstream-oauth-sessions", Spec: "0 40 * * * *", Job: func() domain.Job { return domain.CleanupUnusedUpstreamOAuthSessionsJob{} }},
	}, housekeepingSchedules()...)
}

// policyDataKept is how many versions of the dynamic policy data survive
// pruning: enough to roll back a mistake, small enough to stay tidy.
const policyDataKept = 10

// Retention of the OAuth 2.0 clean-ups, as upstream. A revoked token is
// refused whether or not its row exists, so deleting it changes no
// answer; a consumed refresh token's hour is its lost-response grace,
// after which presenting it is refused as an unknown token.
const (
	revokedTokensKept         = time.Hour
	consumedRefreshTokensKept = time.Hour
	expiredAccessTokensKept   = 30 * 24 * time.Hour
	grantsKept                = 7 * 24 * time.Hour
	// unusedPreLoginKept is how long an authorization request or SSO
	// login may wait for its user: long enough to log in (or register
	// and confirm an email), short enough that unauthenticated requests
	// cannot pile up. An SSO login expires after 30 minutes anyway.
	unusedPreLoginKept = time.Hour
)

// cleanupWorker runs a periodic clean-up job of kind T: remove deletes
// what is stale and says how much, which is logged as msg when non-zero.
type cleanupWorker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	logger *slog.Logger
	msg    string
	remove func(context.Context) (int, error)
}

func (w *cleanupWorker[T]) Work(ctx context.Context, _ *river.Job[T]) error {
	n, err := w.remove(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		w.logger.Info(w.msg, "deleted", n)
	}
	return nil
}
