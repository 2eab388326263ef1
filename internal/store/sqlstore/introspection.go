package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"mas/internal/domain"
)

// Introspection is the hot path of the whole service: Synapse asks about
// every access token it has not seen in the last two minutes. Each lookup
// below is a single statement: a probe of the token's unique index, then
// primary-key joins to the session and its user(s). The existing indexes
// are all it needs, so there is no migration for it.

// qualify prefixes every column of a column list with a table alias, so
// that the lists the per-table queries use can be reused in joins.
func qualify(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

var (
	introspectAccessTokenQuery = `SELECT ` + qualify("t", accessTokenColumns) + `, ` +
		qualify("s", sessionColumns) + `, ` + qualify("u", userColumns) + `
		FROM oauth2_access_tokens t
		JOIN oauth2_sessions s ON s.oauth2_session_id = t.oauth2_session_id
		LEFT JOIN users u ON u.user_id = s.user_id
		WHERE t.access_token = $1`

	introspectCompatAccessTokenQuery = `SELECT ` + qualify("t", compatAccessTokenColumns) + `, ` +
		qualify("s", compatSessionColumns) + `, ` + qualify("u", userColumns) + `
		FROM compat_access_tokens t
		JOIN compat_sessions s ON s.compat_session_id = t.compat_session_id
		JOIN users u ON u.user_id = s.user_id
		WHERE t.access_token = $1`

	introspectPersonalAccessTokenQuery = `SELECT ` + qualify("t", personalAccessTokenColumns) + `, ` +
		qualify("s", personalSessionColumns) + `, ` + qualify("a", userColumns) + `, ` + qualify("o", userColumns) + `
		FROM personal_access_tokens t
		JOIN personal_sessions s ON s.personal_session_id = t.personal_session_id
		JOIN users a ON a.user_id = s.actor_user_id
		LEFT JOIN users o ON o.user_id = s.owner_user_id
		WHERE t.access_token_sha256 = $1`
)

// targets collects the scan destinations a scan function asks for instead
// of scanning, so that several of them can fill one joined row.
type targets struct{ dst []any }

func (c *targets) Scan(dst ...any) error {
	c.dst = append(c.dst, dst...)
	return nil
}

// optional wraps the destinations of an outer-joined entity: a NULL leaves
// the destination at its zero value, which is also what a nullable column
// reads as. A NULL primary key (absent set) means the join found nothing.
type optional struct {
	dst    any
	absent *bool // non-nil only for the primary key
}

func (o optional) Scan(v any) error {
	if v == nil {
		if o.absent != nil {
			*o.absent = true
		}
		return nil
	}
	switch d := o.dst.(type) {
	case sql.Scanner:
		return d.Scan(v)
	case *string:
		s, _, err := toString(v)
		*d = s
		return err
	default:
		return fmt.Errorf("cannot read %T into %T", v, o.dst)
	}
}

// optionalUser returns the destinations of a user read through a LEFT
// JOIN, and a function that yields the user, or nil when the join found
// none.
func optionalUser(c *targets) func() *domain.User {
	var inner targets
	u, _ := scanUser(&inner) // collecting never fails
	absent := false
	for i, d := range inner.dst {
		o := optional{dst: d}
		if i == 0 { // user_id, first of userColumns
			o.absent = &absent
		}
		c.dst = append(c.dst, o)
	}
	return func() *domain.User {
		if absent {
			return nil
		}
		return u
	}
}

func (a accessTokenRepo) FindForIntrospection(ctx context.Context, token string) (*domain.AccessToken, *domain.Session, *domain.User, error) {
	var c targets
	t, _ := scanAccessToken(&c)
	s, _ := scanSession(&c)
	user := optionalUser(&c)
	if err := a.r.introspectionRow(ctx, introspectAccessTokenQuery, token).Scan(c.dst...); err != nil {
		return nil, nil, nil, a.r.mapErr(err)
	}
	return t, s, user(), nil
}

func (a compatAccessTokenRepo) FindForIntrospection(ctx context.Context, token string) (*domain.CompatAccessToken, *domain.CompatSession, *domain.User, error) {
	var c targets
	t, _ := scanCompatAccessToken(&c)
	s, _ := scanCompatSession(&c)
	u, _ := scanUser(&c)
	if err := a.r.introspectionRow(ctx, introspectCompatAccessTokenQuery, token).Scan(c.dst...); err != nil {
		return nil, nil, nil, a.r.mapErr(err)
	}
	return t, s, u, nil
}

func (a personalAccessTokenRepo) FindForIntrospection(ctx context.Context, sum []byte) (*domain.PersonalAccessToken, *domain.PersonalSession, *domain.User, *domain.User, error) {
	var c targets
	t, _ := scanPersonalAccessToken(&c)
	s, _ := scanPersonalSession(&c)
	actor, _ := scanUser(&c)
	owner := optionalUser(&c)
	if err := a.r.introspectionRow(ctx, introspectPersonalAccessTokenQuery, sum).Scan(c.dst...); err != nil {
		return nil, nil, nil, nil, a.r.mapErr(err)
	}
	return t, s, actor, owner(), nil
}

// introspectionRow runs one of the introspection queries. On SQLite r.q
// runs it through the store's statement cache (stmtcache.go): parsing and
// planning these joins costs about as much as running them.
func (r repos) introspectionRow(ctx context.Context, query string, arg any) *sql.Row {
	return r.q.QueryRowContext(ctx, query, arg)
}
