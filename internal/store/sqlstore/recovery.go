package sqlstore

import (
	"context"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

type recoveryRepo struct{ r repos }

func (r repos) Recovery() store.RecoveryRepository { return recoveryRepo{r} }

const recoverySessionColumns = `user_recovery_session_id, email, user_agent, ip_address, locale, created_at, consumed_at`

func scanRecoverySession(row interface{ Scan(...any) error }) (*domain.RecoverySession, error) {
	s := &domain.RecoverySession{}
	err := row.Scan(id(&s.ID), &s.Email, strn(&s.UserAgent), strn(&s.IPAddress), strn(&s.Locale), ts(&s.CreatedAt),
		tsn(&s.ConsumedAt))
	return s, err
}

const recoveryTicketColumns = `user_recovery_ticket_id, user_recovery_session_id, user_email_id, ticket, created_at, expires_at`

func scanRecoveryTicket(row interface{ Scan(...any) error }) (*domain.RecoveryTicket, error) {
	t := &domain.RecoveryTicket{}
	err := row.Scan(id(&t.ID), id(&t.RecoverySessionID), id(&t.UserEmailID), &t.Ticket, ts(&t.CreatedAt), ts(&t.ExpiresAt))
	return t, err
}

// AddSession assigns ID and CreatedAt.
func (c recoveryRepo) AddSession(ctx context.Context, s *domain.RecoverySession) error {
	now := c.r.now()
	sessionID := c.r.newID(now)
	_, err := c.r.exec(ctx, `INSERT INTO user_recovery_sessions (`+recoverySessionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		idv(sessionID), s.Email, strp(s.UserAgent), strp(s.IPAddress), strp(s.Locale), c.r.t(now), c.r.tp(s.ConsumedAt))
	if err != nil {
		return fmt.Errorf("add recovery session: %w", err)
	}
	s.ID, s.CreatedAt = sessionID, now
	return nil
}

func (c recoveryRepo) LookupSession(ctx context.Context, sessionID domain.ID) (*domain.RecoverySession, error) {
	return queryOne(ctx, c.r, scanRecoverySession, `SELECT `+recoverySessionColumns+`
		FROM user_recovery_sessions WHERE user_recovery_session_id = $1`, idv(sessionID))
}

// ConsumeSession returns ErrConflict if the session was already used: a
// recovery link sets a password once.
func (c recoveryRepo) ConsumeSession(ctx context.Context, s *domain.RecoverySession) error {
	if s.ConsumedAt != nil {
		return fmt.Errorf("%w: recovery session %s is already consumed", store.ErrConflict, s.ID)
	}
	now := c.r.now()
	err := c.r.transition(ctx, "recovery session", `UPDATE user_recovery_sessions SET consumed_at = $2
		WHERE user_recovery_session_id = $1 AND consumed_at IS NULL`, idv(s.ID), c.r.t(now))
	if err != nil {
		return err
	}
	s.ConsumedAt = &now
	return nil
}

// AddTicket returns ErrConflict if the ticket string exists.
func (c recoveryRepo) AddTicket(ctx context.Context, sessionID, userEmailID domain.ID, ticket string, expiresAt time.Time) (*domain.RecoveryTicket, error) {
	now := c.r.now()
	t := &domain.RecoveryTicket{ID: c.r.newID(now), RecoverySessionID: sessionID, UserEmailID: userEmailID,
		Ticket: ticket, CreatedAt: now, ExpiresAt: expiresAt.UTC().Truncate(time.Microsecond)}
	_, err := c.r.exec(ctx, `INSERT INTO user_recovery_tickets (`+recoveryTicketColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6)`, idv(t.ID), idv(sessionID), idv(userEmailID), ticket, c.r.t(now), c.r.t(expiresAt))
	if err != nil {
		return nil, fmt.Errorf("add recovery ticket: %w", err)
	}
	return t, nil
}

// FindTicket does not look at expiry or at the session's state; the
// caller checks both.
func (c recoveryRepo) FindTicket(ctx context.Context, ticket string) (*domain.RecoveryTicket, error) {
	return queryOne(ctx, c.r, scanRecoveryTicket, `SELECT `+recoveryTicketColumns+`
		FROM user_recovery_tickets WHERE ticket = $1`, ticket)
}
