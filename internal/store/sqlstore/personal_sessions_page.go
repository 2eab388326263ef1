package sqlstore

import (
	"context"

	"mas/internal/store"
)

// personalSessionsListed is the listed relation: every session with the
// expiry of its usable token (at most one, by a unique index).
const personalSessionsListed = `(SELECT ps.*, pat.expires_at AS token_expires_at FROM personal_sessions ps
	LEFT JOIN personal_access_tokens pat
		ON pat.personal_session_id = ps.personal_session_id AND pat.revoked_at IS NULL) listed`

// withExtra scans a row's leading columns with a row scanner and the
// trailing ones into extra.
type withExtra struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }

func scanPersonalSessionListed(row interface{ Scan(...any) error }) (*store.PersonalSessionListed, error) {
	l := &store.PersonalSessionListed{}
	s, err := scanPersonalSession(withExtra{row, []any{tsn(&l.TokenExpiresAt)}})
	l.Session = s
	return l, err
}

func (p personalSessionRepo) ListPage(ctx context.Context, f store.PersonalSessionFilter, pg store.Page) ([]*store.PersonalSessionListed, error) {
	return listPage(ctx, p.r, scanPersonalSessionListed, personalSessionColumns+", token_expires_at",
		personalSessionsListed, "personal_session_id", p.conds(f), pg)
}

func (p personalSessionRepo) CountFiltered(ctx context.Context, f store.PersonalSessionFilter) (int, error) {
	return countWhere(ctx, p.r, personalSessionsListed, p.conds(f))
}

// conds turns a filter into conditions on the listed relation.
func (p personalSessionRepo) conds(f store.PersonalSessionFilter) conds {
	var c conds
	c.id("owner_user_id", f.OwnerUser)
	c.id("owner_oauth2_client_id", f.OwnerClient)
	c.id("actor_user_id", f.ActorUser)
	c.scopeHasAll(p.r, f.Scope)
	switch f.Status {
	case store.PersonalSessionStatusActive:
		c.raw("revoked_at IS NULL")
	case store.PersonalSessionStatusRevoked:
		c.raw("revoked_at IS NOT NULL")
	}
	if f.ExpiresBefore != nil {
		c.add("token_expires_at < $%d", p.r.t(*f.ExpiresBefore))
	}
	if f.ExpiresAfter != nil {
		c.add("token_expires_at > $%d", p.r.t(*f.ExpiresAfter))
	}
	c.either(f.Expires, "token_expires_at IS NOT NULL", "token_expires_at IS NULL")
	return c
}
