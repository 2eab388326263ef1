package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

type emailAuthenticationRepo struct{ r repos }

func (r repos) EmailAuthentications() store.EmailAuthenticationRepository {
	return emailAuthenticationRepo{r}
}

const emailAuthenticationColumns = `user_email_authentication_id, email, user_session_id, user_registration_id,
	created_at, completed_at`

func scanEmailAuthentication(row interface{ Scan(...any) error }) (*domain.EmailAuthentication, error) {
	a := &domain.EmailAuthentication{}
	err := row.Scan(id(&a.ID), &a.Email, idn(&a.BrowserSessionID), idn(&a.UserRegistrationID), ts(&a.CreatedAt),
		tsn(&a.CompletedAt))
	return a, err
}

const emailAuthenticationCodeColumns = `user_email_authentication_code_id, user_email_authentication_id, code,
	created_at, expires_at`

func scanEmailAuthenticationCode(row interface{ Scan(...any) error }) (*domain.EmailAuthenticationCode, error) {
	c := &domain.EmailAuthenticationCode{}
	err := row.Scan(id(&c.ID), id(&c.EmailAuthenticationID), &c.Code, ts(&c.CreatedAt), ts(&c.ExpiresAt))
	return c, err
}

// Add requires exactly one owner, as the schema does; checking here gives
// the caller a message instead of a constraint name.
func (e emailAuthenticationRepo) Add(ctx context.Context, a *domain.EmailAuthentication) error {
	switch {
	case a.BrowserSessionID == nil && a.UserRegistrationID == nil:
		return errors.New("add email authentication: neither a browser session nor a registration given")
	case a.BrowserSessionID != nil && a.UserRegistrationID != nil:
		return errors.New("add email authentication: both a browser session and a registration given")
	}
	now := e.r.now()
	authID := e.r.newID(now)
	_, err := e.r.exec(ctx, `INSERT INTO user_email_authentications (`+emailAuthenticationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		idv(authID), a.Email, idp(a.BrowserSessionID), idp(a.UserRegistrationID), e.r.t(now), e.r.tp(a.CompletedAt))
	if err != nil {
		return fmt.Errorf("add email authentication: %w", err)
	}
	a.ID, a.CreatedAt = authID, now
	return nil
}

func (e emailAuthenticationRepo) Lookup(ctx context.Context, authID domain.ID) (*domain.EmailAuthentication, error) {
	return queryOne(ctx, e.r, scanEmailAuthentication, `SELECT `+emailAuthenticationColumns+`
		FROM user_email_authentications WHERE user_email_authentication_id = $1`, idv(authID))
}

// AddCode returns ErrConflict if the authentication already has this
// code, so that FindCode never has to choose between two rows; the caller
// draws another code.
func (e emailAuthenticationRepo) AddCode(ctx context.Context, authID domain.ID, code string, expiresAt time.Time) (*domain.EmailAuthenticationCode, error) {
	now := e.r.now()
	c := &domain.EmailAuthenticationCode{ID: e.r.newID(now), EmailAuthenticationID: authID, Code: code,
		CreatedAt: now, ExpiresAt: expiresAt.UTC().Truncate(time.Microsecond)}
	_, err := e.r.exec(ctx, `INSERT INTO user_email_authentication_codes (`+emailAuthenticationCodeColumns+`)
		VALUES ($1, $2, $3, $4, $5)`, idv(c.ID), idv(authID), code, e.r.t(now), e.r.t(expiresAt))
	if err != nil {
		return nil, fmt.Errorf("add email authentication code: %w", err)
	}
	return c, nil
}

// FindCode does not look at expiry: the caller tells an expired code from
// a wrong one.
func (e emailAuthenticationRepo) FindCode(ctx context.Context, authID domain.ID, code string) (*domain.EmailAuthenticationCode, error) {
	return queryOne(ctx, e.r, scanEmailAuthenticationCode, `SELECT `+emailAuthenticationCodeColumns+`
		FROM user_email_authentication_codes WHERE user_email_authentication_id = $1 AND code = $2`,
		idv(authID), code)
}

func (e emailAuthenticationRepo) LatestCode(ctx context.Context, authID domain.ID) (*domain.EmailAuthenticationCode, error) {
	return queryOne(ctx, e.r, scanEmailAuthenticationCode, `SELECT `+emailAuthenticationCodeColumns+`
		FROM user_email_authentication_codes WHERE user_email_authentication_id = $1
		ORDER BY expires_at DESC, created_at DESC, user_email_authentication_code_id DESC LIMIT 1`, idv(authID))
}

func (e emailAuthenticationRepo) Complete(ctx context.Context, a *domain.EmailAuthentication) error {
	if a.CompletedAt != nil {
		return fmt.Errorf("%w: email authentication %s is already completed", store.ErrConflict, a.ID)
	}
	now := e.r.now()
	err := e.r.transition(ctx, "email authentication", `UPDATE user_email_authentications SET completed_at = $2
		WHERE user_email_authentication_id = $1 AND completed_at IS NULL`, idv(a.ID), e.r.t(now))
	if err != nil {
		return err
	}
	a.CompletedAt = &now
	return nil
}
