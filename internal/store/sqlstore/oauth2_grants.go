package sqlstore

import (
	"context"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

// The transitions below apply the domain method to a copy and copy it
// back only once the conditional UPDATE has matched, so a caller whose
// write lost (ErrConflict) or failed is not left holding a state the
// database never had.

type authorizationGrantRepo struct{ r repos }

func (r repos) AuthorizationGrants() store.AuthorizationGrantRepository {
	return authorizationGrantRepo{r}
}

const authorizationGrantColumns = `oauth2_authorization_grant_id, oauth2_client_id, redirect_uri, scope, state, nonce,
	response_mode, response_type_code, response_type_id_token, authorization_code, code_challenge, code_challenge_method,
	login_hint, locale, raw_parameters, created_at, fulfilled_at, exchanged_at, cancelled_at, user_session_id, oauth2_session_id`

// authorizationGrantPending is the WHERE clause of a grant nobody has acted on.
const authorizationGrantPending = `fulfilled_at IS NULL AND exchanged_at IS NULL AND cancelled_at IS NULL`

func scanAuthorizationGrant(row interface{ Scan(...any) error }) (*domain.AuthorizationGrant, error) {
	g := &domain.AuthorizationGrant{}
	err := row.Scan(id(&g.ID), id(&g.ClientID), &g.RedirectURI, scope(&g.Scope), strn(&g.State), strn(&g.Nonce),
		&g.ResponseMode, boolean(&g.ResponseTypeCode), boolean(&g.ResponseTypeIDToken), strn(&g.Code), strn(&g.CodeChallenge), strn(&g.CodeChallengeMethod),
		strn(&g.LoginHint), strn(&g.Locale), strn(&g.RawParameters), ts(&g.CreatedAt), tsn(&g.FulfilledAt), tsn(&g.ExchangedAt), tsn(&g.CancelledAt),
		idn(&g.BrowserSessionID), idn(&g.SessionID))
	return g, err
}

// Add stores every field as given, so that imports can carry a grant's
// progress; new grants from /authorize are simply pending.
func (a authorizationGrantRepo) Add(ctx context.Context, g *domain.AuthorizationGrant) error {
	return a.add(ctx, insertAuthorizationGrantQuery, g)
}

const insertAuthorizationGrantQuery = `INSERT INTO oauth2_authorization_grants (` + authorizationGrantColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`

// insertAuthorizationRequestQuery is the INSERT with synchronous_commit
// off for its own (implicit) transaction: set_config's third argument
// scopes the setting to the transaction, so it neither outlives the
// statement nor changes the connection's later commits.
const insertAuthorizationRequestQuery = `WITH d AS (SELECT set_config('synchronous_commit', 'off', true))
	INSERT INTO oauth2_authorization_grants (` + authorizationGrantColumns + `)
	SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21 FROM d`

func (a authorizationGrantRepo) AddRequest(ctx context.Context, g *domain.AuthorizationGrant) error {
	if a.r.s.opts.Dialect != Postgres || a.r.tx != nil {
		// SQLite's commits in WAL mode with synchronous(NORMAL) do not
		// wait for the disk anyway; a transaction keeps its durability.
		return a.Add(ctx, g)
	}
	return a.add(ctx, insertAuthorizationRequestQuery, g)
}

func (a authorizationGrantRepo) add(ctx context.Context, query string, g *domain.AuthorizationGrant) error {
	now := a.r.now()
	if g.CreatedAt.IsZero() {
		g.CreatedAt = now
	}
	g.CreatedAt = g.CreatedAt.UTC().Truncate(time.Microsecond)
	if g.ID == domain.ZeroID {
		g.ID = a.r.newID(now)
	}
	_, err := a.r.exec(ctx, query,
		idv(g.ID), idv(g.ClientID), g.RedirectURI, scopeValue(g.Scope), strp(g.State), strp(g.Nonce),
		g.ResponseMode, g.ResponseTypeCode, g.ResponseTypeIDToken, strp(g.Code), strp(g.CodeChallenge), strp(g.CodeChallengeMethod),
		strp(g.LoginHint), strp(g.Locale), strp(g.RawParameters), a.r.t(g.CreatedAt), a.r.tp(g.FulfilledAt), a.r.tp(g.ExchangedAt), a.r.tp(g.CancelledAt),
		idp(g.BrowserSessionID), idp(g.SessionID))
	if err != nil {
		return fmt.Errorf("add authorization grant: %w", err)
	}
	return nil
}

func (a authorizationGrantRepo) Lookup(ctx context.Context, grantID domain.ID) (*domain.AuthorizationGrant, error) {
	return queryOne(ctx, a.r, scanAuthorizationGrant, `SELECT `+authorizationGrantColumns+`
		FROM oauth2_authorization_grants WHERE oauth2_authorization_grant_id = $1`, idv(grantID))
}

var authorizationGrantWithClientQuery = `SELECT ` + qualify("g", authorizationGrantColumns) + `, ` + qualify("c", clientColumns) + `
	FROM oauth2_authorization_grants g JOIN oauth2_clients c ON c.oauth2_client_id = g.oauth2_client_id
	WHERE g.oauth2_authorization_grant_id = $1`

func (a authorizationGrantRepo) LookupWithClient(ctx context.Context, grantID domain.ID) (*domain.AuthorizationGrant, *domain.Client, error) {
	var c targets
	g, _ := scanAuthorizationGrant(&c)
	cl, _ := scanClient(&c)
	if err := a.r.q.QueryRowContext(ctx, authorizationGrantWithClientQuery, idv(grantID)).Scan(c.dst...); err != nil {
		return nil, nil, a.r.mapErr(err)
	}
	return g, cl, nil
}

var authorizationGrantForConsentQuery = `SELECT ` + qualify("g", authorizationGrantColumns) + `, ` + qualify("c", clientColumns) + `,
	` + qualify("s", browserSessionColumns) + `, ` + qualify("u", userColumns) + `
	FROM oauth2_authorization_grants g JOIN oauth2_clients c ON c.oauth2_client_id = g.oauth2_client_id,
		user_sessions s JOIN users u ON u.user_id = s.user_id
	WHERE g.oauth2_authorization_grant_id = $1 AND s.user_session_id = $2`

func (a authorizationGrantRepo) LookupForConsent(ctx context.Context, grantID, browserSessionID domain.ID) (*domain.AuthorizationGrant, *domain.Client, *domain.BrowserSession, *domain.User, error) {
	var c targets
	g, _ := scanAuthorizationGrant(&c)
	cl, _ := scanClient(&c)
	s, _ := scanBrowserSession(&c)
	u, _ := scanUser(&c)
	if err := a.r.q.QueryRowContext(ctx, authorizationGrantForConsentQuery, idv(grantID), idv(browserSessionID)).Scan(c.dst...); err != nil {
		return nil, nil, nil, nil, a.r.mapErr(err)
	}
	return g, cl, s, u, nil
}

func (a authorizationGrantRepo) FindByCode(ctx context.Context, code string) (*domain.AuthorizationGrant, error) {
	return queryOne(ctx, a.r, scanAuthorizationGrant, `SELECT `+authorizationGrantColumns+`
		FROM oauth2_authorization_grants WHERE authorization_code = $1`, code)
}

var authorizationGrantWithApproverQuery = `SELECT ` + qualify("g", authorizationGrantColumns) + `, ` + browserSessionForTokenColumns + `
	FROM oauth2_authorization_grants g
	JOIN user_sessions s ON s.user_session_id = g.user_session_id
	JOIN users u ON u.user_id = s.user_id
	WHERE g.authorization_code = $1`

func (a authorizationGrantRepo) FindByCodeWithApprover(ctx context.Context, code string) (*domain.AuthorizationGrant, *store.Approver, error) {
	var c targets
	g, _ := scanAuthorizationGrant(&c)
	s, _ := scanBrowserSession(&c)
	u, _ := scanUser(&c)
	approver := &store.Approver{Session: s, User: u}
	if err := a.r.q.QueryRowContext(ctx, authorizationGrantWithApproverQuery, code).Scan(append(c.dst, tsn(&approver.AuthTime))...); err != nil {
		return nil, nil, a.r.mapErr(err)
	}
	return g, approver, nil
}

func (a authorizationGrantRepo) Fulfill(ctx context.Context, g *domain.AuthorizationGrant, browserSessionID domain.ID) error {
	next := *g
	if err := next.Fulfill(a.r.now(), browserSessionID); err != nil {
		return err
	}
	err := a.r.transition(ctx, "authorization grant", `UPDATE oauth2_authorization_grants
		SET fulfilled_at = $2, user_session_id = $3
		WHERE oauth2_authorization_grant_id = $1 AND `+authorizationGrantPending,
		idv(g.ID), a.r.tp(next.FulfilledAt), idp(next.BrowserSessionID))
	if err != nil {
		return err
	}
	*g = next
	return nil
}

// Exchange is where replayed codes are stopped: of several requests
// presenting one code, only the first UPDATE still finds it fulfilled and
// unexchanged.
func (a authorizationGrantRepo) Exchange(ctx context.Context, g *domain.AuthorizationGrant, sessionID domain.ID) error {
	next := *g
	if err := next.Exchange(a.r.now(), sessionID); err != nil {
		return err
	}
	err := a.r.transition(ctx, "authorization grant", `UPDATE oauth2_authorization_grants
		SET exchanged_at = $2, oauth2_session_id = $3
		WHERE oauth2_authorization_grant_id = $1
		  AND fulfilled_at IS NOT NULL AND exchanged_at IS NULL AND cancelled_at IS NULL`,
		idv(g.ID), a.r.tp(next.ExchangedAt), idp(next.SessionID))
	if err != nil {
		return err
	}
	*g = next
	return nil
}

func (a authorizationGrantRepo) Cancel(ctx context.Context, g *domain.AuthorizationGrant) error {
	next := *g
	if err := next.Cancel(a.r.now()); err != nil {
		return err
	}
	err := a.r.transition(ctx, "authorization grant", `UPDATE oauth2_authorization_grants SET cancelled_at = $2
		WHERE oauth2_authorization_grant_id = $1 AND `+authorizationGrantPending,
		idv(g.ID), a.r.tp(next.CancelledAt))
	if err != nil {
		return err
	}
	*g = next
	return nil
}

func (a authorizationGrantRepo) DeleteCreatedBefore(ctx context.Context, before time.Time) (int, error) {
	n, err := a.r.exec(ctx, `DELETE FROM oauth2_authorization_grants WHERE created_at < $1`, a.r.t(before))
	if err != nil {
		return 0, fmt.Errorf("delete old authorization grants: %w", err)
	}
	return int(n), nil
}

func (a authorizationGrantRepo) DeleteUnusedCreatedBefore(ctx context.Context, before time.Time) (int, error) {
	n, err := a.r.exec(ctx, `DELETE FROM oauth2_authorization_grants WHERE created_at < $1 AND fulfilled_at IS NULL`, a.r.t(before))
	if err != nil {
		return 0, fmt.Errorf("delete unused authorization grants: %w", err)
	}
	return int(n), nil
}

type deviceCodeGrantRepo struct{ r repos }

func (r repos) DeviceCodeGrants() store.DeviceCodeGrantRepository { return deviceCodeGrantRepo{r} }

const deviceCodeGrantColumns = `oauth2_device_code_grant_id, oauth2_client_id, scope, user_code, device_code,
	created_at, expires_at, fulfilled_at, rejected_at, exchanged_at, user_session_id, oauth2_session_id,
	ip_address, user_agent, locale`

// deviceCodeGrantPending is the WHERE clause of a grant the user has not
// answered yet.
const deviceCodeGrantPending = `fulfilled_at IS NULL AND rejected_at IS NULL AND exchanged_at IS NULL`

func scanDeviceCodeGrant(row interface{ Scan(...any) error }) (*domain.DeviceCodeGrant, error) {
	g := &domain.DeviceCodeGrant{}
	err := row.Scan(id(&g.ID), id(&g.ClientID), scope(&g.Scope), &g.UserCode, &g.DeviceCode,
		ts(&g.CreatedAt), ts(&g.ExpiresAt), tsn(&g.FulfilledAt), tsn(&g.RejectedAt), tsn(&g.ExchangedAt),
		idn(&g.BrowserSessionID), idn(&g.SessionID), strn(&g.IPAddress), strn(&g.UserAgent), strn(&g.Locale))
	return g, err
}

func (d deviceCodeGrantRepo) Add(ctx context.Context, g *domain.DeviceCodeGrant) error {
	now := d.r.now()
	if g.CreatedAt.IsZero() {
		g.CreatedAt = now
	}
	g.CreatedAt = g.CreatedAt.UTC().Truncate(time.Microsecond)
	g.ExpiresAt = g.ExpiresAt.UTC().Truncate(time.Microsecond)
	if g.ID == domain.ZeroID {
		g.ID = d.r.newID(now)
	}
	_, err := d.r.exec(ctx, `INSERT INTO oauth2_device_code_grants (`+deviceCodeGrantColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		idv(g.ID), idv(g.ClientID), scopeValue(g.Scope), g.UserCode, g.DeviceCode,
		d.r.t(g.CreatedAt), d.r.t(g.ExpiresAt), d.r.tp(g.FulfilledAt), d.r.tp(g.RejectedAt), d.r.tp(g.ExchangedAt),
		idp(g.BrowserSessionID), idp(g.SessionID), strp(g.IPAddress), strp(g.UserAgent), strp(g.Locale))
	if err != nil {
		return fmt.Errorf("add device code grant: %w", err)
	}
	return nil
}

func (d deviceCodeGrantRepo) Lookup(ctx context.Context, grantID domain.ID) (*domain.DeviceCodeGrant, error) {
	return queryOne(ctx, d.r, scanDeviceCodeGrant, `SELECT `+deviceCodeGrantColumns+`
		FROM oauth2_device_code_grants WHERE oauth2_device_code_grant_id = $1`, idv(grantID))
}

func (d deviceCodeGrantRepo) FindByUserCode(ctx context.Context, userCode string) (*domain.DeviceCodeGrant, error) {
	return queryOne(ctx, d.r, scanDeviceCodeGrant, `SELECT `+deviceCodeGrantColumns+`
		FROM oauth2_device_code_grants WHERE user_code = $1`, userCode)
}

func (d deviceCodeGrantRepo) FindByDeviceCode(ctx context.Context, deviceCode string) (*domain.DeviceCodeGrant, error) {
	return queryOne(ctx, d.r, scanDeviceCodeGrant, `SELECT `+deviceCodeGrantColumns+`
		FROM oauth2_device_code_grants WHERE device_code = $1`, deviceCode)
}

func (d deviceCodeGrantRepo) Fulfill(ctx context.Context, g *domain.DeviceCodeGrant, browserSessionID domain.ID) error {
	next := *g
	if err := next.Fulfill(d.r.now(), browserSessionID); err != nil {
		return err
	}
	err := d.r.transition(ctx, "device code grant", `UPDATE oauth2_device_code_grants
		SET fulfilled_at = $2, user_session_id = $3
		WHERE oauth2_device_code_grant_id = $1 AND `+deviceCodeGrantPending,
		idv(g.ID), d.r.tp(next.FulfilledAt), idp(next.BrowserSessionID))
	if err != nil {
		return err
	}
	*g = next
	return nil
}

func (d deviceCodeGrantRepo) Reject(ctx context.Context, g *domain.DeviceCodeGrant, browserSessionID domain.ID) error {
	next := *g
	if err := next.Reject(d.r.now(), browserSessionID); err != nil {
		return err
	}
	err := d.r.transition(ctx, "device code grant", `UPDATE oauth2_device_code_grants
		SET rejected_at = $2, user_session_id = $3
		WHERE oauth2_device_code_grant_id = $1 AND `+deviceCodeGrantPending,
		idv(g.ID), d.r.tp(next.RejectedAt), idp(next.BrowserSessionID))
	if err != nil {
		return err
	}
	*g = next
	return nil
}

func (d deviceCodeGrantRepo) Exchange(ctx context.Context, g *domain.DeviceCodeGrant, sessionID domain.ID) error {
	next := *g
	if err := next.Exchange(d.r.now(), sessionID); err != nil {
		return err
	}
	err := d.r.transition(ctx, "device code grant", `UPDATE oauth2_device_code_grants
		SET exchanged_at = $2, oauth2_session_id = $3
		WHERE oauth2_device_code_grant_id = $1
		  AND fulfilled_at IS NOT NULL AND rejected_at IS NULL AND exchanged_at IS NULL`,
		idv(g.ID), d.r.tp(next.ExchangedAt), idp(next.SessionID))
	if err != nil {
		return err
	}
	*g = next
	return nil
}

func (d deviceCodeGrantRepo) DeleteCreatedBefore(ctx context.Context, before time.Time) (int, error) {
	n, err := d.r.exec(ctx, `DELETE FROM oauth2_device_code_grants WHERE created_at < $1`, d.r.t(before))
	if err != nil {
		return 0, fmt.Errorf("delete old device code grants: %w", err)
	}
	return int(n), nil
}
