package sqlstore

import (
	"context"
	"fmt"
	"time"

	"mas/internal/domain"
)

// On PostgreSQL a new session and its first tokens are one statement:
// data-modifying WITH clauses, whose foreign keys are checked at the end
// of the statement. Each statement saved is a round trip and a backend
// wake-up on the path of every code exchange. $1 is the session's ID,
// $2-$11 its other columns, $12-$15 the access token's and $16-$19 the
// refresh token's columns but the session ID.
const (
	insertSessionWithAccessQuery = `WITH s AS (` + insertSessionQuery + `)
	INSERT INTO oauth2_access_tokens (oauth2_access_token_id, oauth2_session_id, access_token, created_at, expires_at)
	VALUES ($12, $1, $13, $14, $15)`
	insertSessionWithTokensQuery = `WITH s AS (` + insertSessionQuery + `),
	a AS (INSERT INTO oauth2_access_tokens (oauth2_access_token_id, oauth2_session_id, access_token, created_at, expires_at)
		VALUES ($12, $1, $13, $14, $15))
	INSERT INTO oauth2_refresh_tokens (oauth2_refresh_token_id, oauth2_session_id, oauth2_access_token_id, refresh_token, created_at)
	VALUES ($16, $1, $17, $18, $19)`
)

func (o sessionRepo) AddWithTokens(ctx context.Context, s *domain.Session, access string, expiresAt *time.Time, refresh string) (*domain.AccessToken, *domain.RefreshToken, error) {
	if o.r.s.opts.Dialect != Postgres {
		return o.addWithTokensOneByOne(ctx, s, access, expiresAt, refresh)
	}
	args, at, rt := o.withTokensArgs(s, access, expiresAt, refresh)
	query := insertSessionWithAccessQuery
	if rt != nil {
		query = insertSessionWithTokensQuery
	}
	if _, err := o.r.exec(ctx, query, args...); err != nil {
		return nil, nil, fmt.Errorf("add oauth2 session with tokens: %w", err)
	}
	return at, rt, nil
}

// withTokensArgs assigns s its ID and CreatedAt and returns the values of
// the combined statements ($1-$15, and $16-$19 when refresh is set) with
// the tokens they insert; rt is nil when refresh is empty.
func (o sessionRepo) withTokensArgs(s *domain.Session, access string, expiresAt *time.Time, refresh string) (args []any, at *domain.AccessToken, rt *domain.RefreshToken) {
	args = o.newSession(s)
	ats := accessTokenRepo(o)
	at = ats.newToken(s.ID, access, expiresAt)
	args = append(args, butSessionID(ats.args(at))...)
	if refresh != "" {
		rts := refreshTokenRepo(o)
		rt = rts.newToken(s.ID, &at.ID, refresh)
		args = append(args, butSessionID(rts.args(rt))...)
	}
	return args, at, rt
}

// addWithTokensOneByOne is the SQLite path: in process, separate
// statements cost no round trips.
func (o sessionRepo) addWithTokensOneByOne(ctx context.Context, s *domain.Session, access string, expiresAt *time.Time, refresh string) (at *domain.AccessToken, rt *domain.RefreshToken, err error) {
	err = o.r.atomically(ctx, func(r repos) error {
		if err := (sessionRepo{r}).Add(ctx, s); err != nil {
			return err
		}
		if at, err = (accessTokenRepo{r}).Add(ctx, s.ID, access, expiresAt); err != nil {
			return err
		}
		if refresh != "" {
			rt, err = refreshTokenRepo{r}.Add(ctx, s.ID, &at.ID, refresh)
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return at, rt, nil
}

// butSessionID drops the second value of a token's INSERT, its session
// ID, which the combined statement takes from $1.
func butSessionID(args []any) []any { return append(args[:1:1], args[2:]...) }
