package sqlstore

import (
	"context"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

type compatSSOLoginRepo struct{ r repos }

func (r repos) CompatSSOLogins() store.CompatSSOLoginRepository { return compatSSOLoginRepo{r} }

const compatSSOLoginColumns = `compat_sso_login_id, redirect_uri, login_token, created_at, fulfilled_at, exchanged_at,
	user_session_id, compat_session_id`

func scanCompatSSOLogin(row interface{ Scan(...any) error }) (*domain.CompatSSOLogin, error) {
	l := &domain.CompatSSOLogin{}
	err := row.Scan(id(&l.ID), &l.RedirectURI, &l.LoginToken, ts(&l.CreatedAt), tsn(&l.FulfilledAt), tsn(&l.ExchangedAt),
		idn(&l.BrowserSessionID), idn(&l.SessionID))
	return l, err
}

func (s compatSSOLoginRepo) Add(ctx context.Context, redirectURI, loginToken string) (*domain.CompatSSOLogin, error) {
	now := s.r.now()
	l := &domain.CompatSSOLogin{ID: s.r.newID(now), RedirectURI: redirectURI, LoginToken: loginToken, CreatedAt: now}
	_, err := s.r.exec(ctx, `INSERT INTO compat_sso_logins (compat_sso_login_id, redirect_uri, login_token, created_at)
		VALUES ($1, $2, $3, $4)`, idv(l.ID), redirectURI, loginToken, s.r.t(now))
	if err != nil {
		return nil, fmt.Errorf("add compat sso login: %w", err)
	}
	return l, nil
}

func (s compatSSOLoginRepo) Lookup(ctx context.Context, loginID domain.ID) (*domain.CompatSSOLogin, error) {
	return queryOne(ctx, s.r, scanCompatSSOLogin, `SELECT `+compatSSOLoginColumns+` FROM compat_sso_logins
		WHERE compat_sso_login_id = $1`, idv(loginID))
}

func (s compatSSOLoginRepo) FindByToken(ctx context.Context, loginToken string) (*domain.CompatSSOLogin, error) {
	return queryOne(ctx, s.r, scanCompatSSOLogin, `SELECT `+compatSSOLoginColumns+` FROM compat_sso_logins
		WHERE login_token = $1`, loginToken)
}

func (s compatSSOLoginRepo) Fulfill(ctx context.Context, l *domain.CompatSSOLogin, browserSessionID domain.ID) error {
	return persistOrRevert(l, func() error { return l.Fulfill(s.r.now(), browserSessionID) }, func() error {
		return s.r.transition(ctx, "compat sso login", `UPDATE compat_sso_logins SET fulfilled_at = $2, user_session_id = $3
			WHERE compat_sso_login_id = $1 AND fulfilled_at IS NULL AND exchanged_at IS NULL`,
			idv(l.ID), s.r.tp(l.FulfilledAt), idp(l.BrowserSessionID))
	})
}

func (s compatSSOLoginRepo) Exchange(ctx context.Context, l *domain.CompatSSOLogin, sessionID domain.ID) error {
	return persistOrRevert(l, func() error { return l.Exchange(s.r.now(), sessionID) }, func() error {
		return s.r.transition(ctx, "compat sso login", `UPDATE compat_sso_logins SET exchanged_at = $2, compat_session_id = $3
			WHERE compat_sso_login_id = $1 AND fulfilled_at IS NOT NULL AND exchanged_at IS NULL`,
			idv(l.ID), s.r.tp(l.ExchangedAt), idp(l.SessionID))
	})
}

func (s compatSSOLoginRepo) DeleteUnexchangedCreatedBefore(ctx context.Context, before time.Time) (int, error) {
	n, err := s.r.exec(ctx, `DELETE FROM compat_sso_logins WHERE created_at < $1 AND exchanged_at IS NULL`, s.r.t(before))
	if err != nil {
		return 0, fmt.Errorf("delete unexchanged compat SSO logins: %w", err)
	}
	return int(n), nil
}
