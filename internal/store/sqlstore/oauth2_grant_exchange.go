package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"mas/internal/domain"
)

// On PostgreSQL a code exchange is one statement: the grant's conditional
// UPDATE, and the session with its tokens inserted only from the row it
// returned. A replayed code updates nothing, so nothing is inserted and the
// statement reports no row: the transaction's BEGIN, COMMIT and the
// separate UPDATE are three round trips fewer on every token request.
var (
	exchangeGrantWithAccessQuery = exchangeGrantQuery(insertSessionWithAccessQuery, 16)
	exchangeGrantWithTokensQuery = exchangeGrantQuery(insertSessionWithTokensQuery, 20)
)

// exchangeGrantQuery turns one of the combined inserts into the exchange:
// every VALUES becomes a SELECT from the updated grant. $next is the
// grant's exchanged_at and $next+1 its ID; the session's ID is $1.
func exchangeGrantQuery(insert string, next int) string {
	update := fmt.Sprintf(`WITH g AS (UPDATE oauth2_authorization_grants SET exchanged_at = $%d, oauth2_session_id = $1
		WHERE oauth2_authorization_grant_id = $%d
		  AND fulfilled_at IS NOT NULL AND exchanged_at IS NULL AND cancelled_at IS NULL
		RETURNING 1),
	`, next, next+1)
	q := strings.Replace(insert, "WITH ", update, 1)
	for strings.Contains(q, "VALUES (") {
		before, after, _ := strings.Cut(q, "VALUES (")
		values, rest, _ := strings.Cut(after, ")")
		q = before + "SELECT " + values + " FROM g" + rest
	}
	return q
}

func (a authorizationGrantRepo) ExchangeForSession(ctx context.Context, g *domain.AuthorizationGrant, s *domain.Session,
	access string, expiresAt *time.Time, refresh string,
) (*domain.AccessToken, *domain.RefreshToken, error) {
	if a.r.s.opts.Dialect != Postgres {
		// In process, separate statements cost no round trips; the session
		// goes first, as the grant references it.
		var at *domain.AccessToken
		var rt *domain.RefreshToken
		err := a.r.atomically(ctx, func(r repos) (err error) {
			if at, rt, err = (sessionRepo{r}).AddWithTokens(ctx, s, access, expiresAt, refresh); err != nil {
				return err
			}
			return authorizationGrantRepo{r}.Exchange(ctx, g, s.ID)
		})
		if err != nil {
			return nil, nil, err
		}
		return at, rt, nil
	}
	args, at, rt := sessionRepo(a).withTokensArgs(s, access, expiresAt, refresh)
	next := *g
	if err := next.Exchange(a.r.now(), s.ID); err != nil {
		return nil, nil, err
	}
	query := exchangeGrantWithAccessQuery
	if rt != nil {
		query = exchangeGrantWithTokensQuery
	}
	err := a.r.transition(ctx, "authorization grant", query, append(args, a.r.tp(next.ExchangedAt), idv(g.ID))...)
	if err != nil {
		return nil, nil, err
	}
	*g = next
	return at, rt, nil
}
