package login

import (
	"context"
	"fmt"

	"mas/internal/domain"
	"mas/internal/policy"
	"mas/internal/store"
)

// SessionCounts counts the user's active sessions for the session limit
// (experimental.session_limit), as upstream does: OAuth 2.0 sessions,
// compat sessions, and the personal sessions the user owns. Personal
// sessions an administrator created for the user do not count against the
// user's limit.
func SessionCounts(ctx context.Context, repos store.Repos, userID domain.ID) (policy.SessionCounts, error) {
	oauth2, err := repos.Sessions().CountActiveForUser(ctx, userID)
	if err != nil {
		return policy.SessionCounts{}, fmt.Errorf("counting OAuth 2.0 sessions: %w", err)
	}
	compat, err := repos.CompatSessions().CountActiveForUser(ctx, userID)
	if err != nil {
		return policy.SessionCounts{}, fmt.Errorf("counting compat sessions: %w", err)
	}
	personal, err := repos.PersonalSessions().ListActiveForActor(ctx, userID)
	if err != nil {
		return policy.SessionCounts{}, fmt.Errorf("listing personal sessions: %w", err)
	}
	owned := 0
	for _, s := range personal {
		if s.OwnerUserID != nil && *s.OwnerUserID == userID {
			owned++
		}
	}
	c := policy.SessionCounts{OAuth2: int64(oauth2), Compat: int64(compat), Personal: int64(owned)}
	c.Total = c.OAuth2 + c.Compat + c.Personal
	return c, nil
}
