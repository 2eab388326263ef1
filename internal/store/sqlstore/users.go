package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"mas/internal/domain"
	"mas/internal/store"
)

type userRepo struct{ r repos }

func (r repos) Users() store.UserRepository { return userRepo{r} }

const userColumns = `user_id, username, created_at, locked_at, deactivated_at, can_request_admin, is_guest`

func scanUser(row interface{ Scan(...any) error }) (*domain.User, error) {
	u := &domain.User{}
	err := row.Scan(id(&u.ID), &u.Username, ts(&u.CreatedAt), tsn(&u.LockedAt), tsn(&u.DeactivatedAt),
		boolean(&u.CanRequestAdmin), boolean(&u.IsGuest))
	return u, err
}

func (u userRepo) Add(ctx context.Context, username string) (*domain.User, error) {
	now := u.r.now()
	user := &domain.User{ID: u.r.newID(now), Username: username, CreatedAt: now}
	_, err := u.r.exec(ctx, `INSERT INTO users (user_id, username, created_at, can_request_admin, is_guest)
		VALUES ($1, $2, $3, $4, $5)`, idv(user.ID), username, u.r.t(now), false, false)
	if err != nil {
		return nil, fmt.Errorf("add user %q: %w", username, err)
	}
	return user, nil
}

func (u userRepo) one(ctx context.Context, where string, arg any) (*domain.User, error) {
	row := u.r.q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg)
	user, err := scanUser(row)
	if err != nil {
		return nil, u.r.mapErr(err)
	}
	return user, nil
}

func (u userRepo) Lookup(ctx context.Context, userID domain.ID) (*domain.User, error) {
	return u.one(ctx, `user_id = $1`, idv(userID))
}

func (u userRepo) FindByUsername(ctx context.Context, username string) (*domain.User, error) {
	return u.one(ctx, `lower(username) = lower($1)`, username)
}

func (u userRepo) Update(ctx context.Context, user *domain.User) error {
	// Every update counts as a change: locks, deactivations and the admin
	// flag are all facts a cache of token answers may hold.
	return u.r.atomically(ctx, func(r repos) error {
		n, err := r.exec(ctx, `UPDATE users SET locked_at = $2, deactivated_at = $3, can_request_admin = $4
			WHERE user_id = $1`, idv(user.ID), r.tp(user.LockedAt), r.tp(user.DeactivatedAt), user.CanRequestAdmin)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		return r.invalidate(ctx, store.InvalidateUser, user.ID)
	})
}

func (u userRepo) ListAdmins(ctx context.Context) ([]*domain.User, error) {
	return queryAll(ctx, u.r, scanUser, `SELECT `+userColumns+` FROM users WHERE can_request_admin = $1 ORDER BY user_id`, true)
}

func (u userRepo) Count(ctx context.Context) (int, error) {
	var n int
	err := u.r.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, u.r.mapErr(err)
}

func (u userRepo) Hold(ctx context.Context, userID domain.ID) error {
	if u.r.tx == nil {
		return errors.New("holding a user outside a transaction")
	}
	q := `SELECT 1 FROM users WHERE user_id = $1`
	if u.r.s.opts.Dialect == Postgres {
		q += ` FOR UPDATE`
	}
	var one int
	return u.r.mapErr(u.r.q.QueryRowContext(ctx, q, idv(userID)).Scan(&one))
}

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, r repos, scan func(interface{ Scan(...any) error }) (*T, error), query string, args ...any) ([]*T, error) {
	rows, err := r.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, r.mapErr(err)
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// queryOne runs a single-row query; ErrNotFound when there is none.
func queryOne[T any](ctx context.Context, r repos, scan func(interface{ Scan(...any) error }) (*T, error), query string, args ...any) (*T, error) {
	v, err := scan(r.q.QueryRowContext(ctx, query, args...))
	if err != nil {
		return nil, r.mapErr(err)
	}
	return v, nil
}

type passwordRepo struct{ r repos }

func (r repos) Passwords() store.PasswordRepository { return passwordRepo{r} }

func scanPassword(row interface{ Scan(...any) error }) (*domain.Password, error) {
	p := &domain.Password{}
	err := row.Scan(id(&p.ID), id(&p.UserID), &p.HashedPassword, &p.Version, idn(&p.UpgradedFromID), ts(&p.CreatedAt))
	return p, err
}

func (p passwordRepo) Add(ctx context.Context, userID domain.ID, hashed string, version int, upgradedFrom *domain.ID) (*domain.Password, error) {
	now := p.r.now()
	pw := &domain.Password{ID: p.r.newID(now), UserID: userID, HashedPassword: hashed, Version: version, UpgradedFromID: upgradedFrom, CreatedAt: now}
	_, err := p.r.exec(ctx, `INSERT INTO user_passwords (user_password_id, user_id, hashed_password, version, upgraded_from_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, idv(pw.ID), idv(userID), hashed, version, idp(upgradedFrom), p.r.t(now))
	if err != nil {
		return nil, fmt.Errorf("add password: %w", err)
	}
	return pw, nil
}

func (p passwordRepo) Active(ctx context.Context, userID domain.ID) (*domain.Password, error) {
	// ULIDs sort by creation time, so the greatest ID is the newest entry.
	return queryOne(ctx, p.r, scanPassword, `SELECT user_password_id, user_id, hashed_password, version, upgraded_from_id, created_at
		FROM user_passwords WHERE user_id = $1 ORDER BY user_password_id DESC LIMIT 1`, idv(userID))
}

type userEmailRepo struct{ r repos }

func (r repos) UserEmails() store.UserEmailRepository { return userEmailRepo{r} }

const userEmailColumns = `user_email_id, user_id, email, created_at`

func scanUserEmail(row interface{ Scan(...any) error }) (*domain.UserEmail, error) {
	e := &domain.UserEmail{}
	err := row.Scan(id(&e.ID), id(&e.UserID), &e.Email, ts(&e.CreatedAt))
	return e, err
}

func (e userEmailRepo) Add(ctx context.Context, userID domain.ID, email string) (*domain.UserEmail, error) {
	now := e.r.now()
	ue := &domain.UserEmail{ID: e.r.newID(now), UserID: userID, Email: email, CreatedAt: now}
	_, err := e.r.exec(ctx, `INSERT INTO user_emails (user_email_id, user_id, email, created_at) VALUES ($1, $2, $3, $4)`,
		idv(ue.ID), idv(userID), email, e.r.t(now))
	if err != nil {
		return nil, fmt.Errorf("add email: %w", err)
	}
	return ue, nil
}

func (e userEmailRepo) Lookup(ctx context.Context, emailID domain.ID) (*domain.UserEmail, error) {
	return queryOne(ctx, e.r, scanUserEmail, `SELECT `+userEmailColumns+` FROM user_emails WHERE user_email_id = $1`, idv(emailID))
}

func (e userEmailRepo) FindByEmail(ctx context.Context, email string) (*domain.UserEmail, error) {
	return queryOne(ctx, e.r, scanUserEmail, `SELECT `+userEmailColumns+` FROM user_emails WHERE lower(email) = lower($1)`, email)
}

func (e userEmailRepo) ListForUser(ctx context.Context, userID domain.ID) ([]*domain.UserEmail, error) {
	return queryAll(ctx, e.r, scanUserEmail, `SELECT `+userEmailColumns+` FROM user_emails WHERE user_id = $1 ORDER BY user_email_id`, idv(userID))
}

func (e userEmailRepo) Remove(ctx context.Context, emailID domain.ID) error {
	n, err := e.r.exec(ctx, `DELETE FROM user_emails WHERE user_email_id = $1`, idv(emailID))
	if err == nil && n == 0 {
		return store.ErrNotFound
	}
	return err
}

func (e userEmailRepo) RemoveAllForUser(ctx context.Context, userID domain.ID) (int, error) {
	n, err := e.r.exec(ctx, `DELETE FROM user_emails WHERE user_id = $1`, idv(userID))
	return int(n), err
}
