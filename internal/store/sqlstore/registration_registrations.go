package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"mas/internal/domain"
	"mas/internal/store"
)

type registrationRepo struct{ r repos }

func (r repos) Registrations() store.RegistrationRepository { return registrationRepo{r} }

const registrationColumns = `user_registration_id, username, display_name, terms_url, email_authentication_id,
	hashed_password, hashed_password_version, user_registration_token_id, upstream_oauth_authorization_session_id,
	post_auth_action, ip_address, user_agent, created_at, completed_at`

func scanRegistration(row interface{ Scan(...any) error }) (*domain.UserRegistration, error) {
	r := &domain.UserRegistration{}
	var version sql.NullInt64
	err := row.Scan(id(&r.ID), &r.Username, strn(&r.DisplayName), strn(&r.TermsURL), idn(&r.EmailAuthenticationID),
		strn(&r.HashedPassword), &version, idn(&r.RegistrationTokenID), idn(&r.UpstreamSessionID),
		strn(&r.PostAuthAction), strn(&r.IPAddress), strn(&r.UserAgent), ts(&r.CreatedAt), tsn(&r.CompletedAt))
	r.PasswordVersion = int(version.Int64)
	return r, err
}

// passwordVersionValue stores no version while no password is set, so the
// two columns are NULL together.
func passwordVersionValue(r *domain.UserRegistration) any {
	if r.HashedPassword == "" && r.PasswordVersion == 0 {
		return nil
	}
	return r.PasswordVersion
}

func (g registrationRepo) Add(ctx context.Context, reg *domain.UserRegistration) error {
	now := g.r.now()
	regID := g.r.newID(now)
	_, err := g.r.exec(ctx, `INSERT INTO user_registrations (`+registrationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		idv(regID), reg.Username, strp(reg.DisplayName), strp(reg.TermsURL), idp(reg.EmailAuthenticationID),
		strp(reg.HashedPassword), passwordVersionValue(reg), idp(reg.RegistrationTokenID), idp(reg.UpstreamSessionID),
		strp(reg.PostAuthAction), strp(reg.IPAddress), strp(reg.UserAgent), g.r.t(now), g.r.tp(reg.CompletedAt))
	if err != nil {
		return fmt.Errorf("add registration for %q: %w", reg.Username, err)
	}
	reg.ID, reg.CreatedAt = regID, now
	return nil
}

func (g registrationRepo) Lookup(ctx context.Context, regID domain.ID) (*domain.UserRegistration, error) {
	return queryOne(ctx, g.r, scanRegistration, `SELECT `+registrationColumns+`
		FROM user_registrations WHERE user_registration_id = $1`, idv(regID))
}

// Update refuses completed registrations, in memory and in the database:
// once the user exists, changing what it was made from is meaningless.
func (g registrationRepo) Update(ctx context.Context, reg *domain.UserRegistration) error {
	if reg.CompletedAt != nil {
		return fmt.Errorf("%w: registration %s is completed", store.ErrConflict, reg.ID)
	}
	n, err := g.r.exec(ctx, `UPDATE user_registrations
		SET display_name = $2, terms_url = $3, email_authentication_id = $4, hashed_password = $5,
			hashed_password_version = $6, user_registration_token_id = $7
		WHERE user_registration_id = $1 AND completed_at IS NULL`,
		idv(reg.ID), strp(reg.DisplayName), strp(reg.TermsURL), idp(reg.EmailAuthenticationID),
		strp(reg.HashedPassword), passwordVersionValue(reg), idp(reg.RegistrationTokenID))
	if err != nil {
		return fmt.Errorf("update registration %s: %w", reg.ID, err)
	}
	if n == 0 {
		// Tell a missing registration from one completed in the meantime.
		if _, err := g.Lookup(ctx, reg.ID); err != nil {
			return fmt.Errorf("update registration %s: %w", reg.ID, err)
		}
		return fmt.Errorf("%w: registration %s was completed concurrently", store.ErrConflict, reg.ID)
	}
	return nil
}

func (g registrationRepo) Complete(ctx context.Context, reg *domain.UserRegistration) error {
	next := *reg
	if err := next.Complete(g.r.now()); err != nil {
		return err
	}
	err := g.r.transition(ctx, "registration", `UPDATE user_registrations SET completed_at = $2
		WHERE user_registration_id = $1 AND completed_at IS NULL`, idv(next.ID), g.r.tp(next.CompletedAt))
	if err != nil {
		return err
	}
	*reg = next
	return nil
}
