package sqlstore

import (
	"context"
	"fmt"

	"mas/internal/domain"
	"mas/internal/store"
)

type upstreamLinkRepo struct{ r repos }

func (r repos) UpstreamLinks() store.UpstreamLinkRepository { return upstreamLinkRepo{r} }

const upstreamLinkColumns = `upstream_oauth_link_id, upstream_oauth_provider_id, subject, user_id, human_account_name, created_at`

func scanUpstreamLink(row interface{ Scan(...any) error }) (*domain.UpstreamLink, error) {
	l := &domain.UpstreamLink{}
	err := row.Scan(id(&l.ID), id(&l.ProviderID), &l.Subject, idn(&l.UserID), strn(&l.HumanAccountName), ts(&l.CreatedAt))
	return l, err
}

func (u upstreamLinkRepo) Add(ctx context.Context, providerID domain.ID, subject string, userID *domain.ID, humanAccountName string) (*domain.UpstreamLink, error) {
	now := u.r.now()
	l := &domain.UpstreamLink{ID: u.r.newID(now), ProviderID: providerID, Subject: subject, UserID: userID,
		HumanAccountName: humanAccountName, CreatedAt: now}
	_, err := u.r.exec(ctx, `INSERT INTO upstream_oauth_links (`+upstreamLinkColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		idv(l.ID), idv(providerID), subject, idp(userID), strp(humanAccountName), u.r.t(now))
	if err != nil {
		return nil, fmt.Errorf("add upstream link for subject %q: %w", subject, err)
	}
	return l, nil
}

func (u upstreamLinkRepo) Lookup(ctx context.Context, linkID domain.ID) (*domain.UpstreamLink, error) {
	return queryOne(ctx, u.r, scanUpstreamLink, `SELECT `+upstreamLinkColumns+`
		FROM upstream_oauth_links WHERE upstream_oauth_link_id = $1`, idv(linkID))
}

func (u upstreamLinkRepo) FindBySubject(ctx context.Context, providerID domain.ID, subject string) (*domain.UpstreamLink, error) {
	return queryOne(ctx, u.r, scanUpstreamLink, `SELECT `+upstreamLinkColumns+`
		FROM upstream_oauth_links WHERE upstream_oauth_provider_id = $1 AND subject = $2`, idv(providerID), subject)
}

// Associate only fills an empty user: re-pointing a link at another user
// would hand that user's upstream identity to someone else.
func (u upstreamLinkRepo) Associate(ctx context.Context, l *domain.UpstreamLink, userID domain.ID) error {
	if l.UserID != nil {
		return fmt.Errorf("%w: upstream link %s is already associated with a user", store.ErrConflict, l.ID)
	}
	err := u.r.transition(ctx, "upstream link", `UPDATE upstream_oauth_links SET user_id = $2
		WHERE upstream_oauth_link_id = $1 AND user_id IS NULL`, idv(l.ID), idv(userID))
	if err != nil {
		return err
	}
	l.UserID = &userID
	return nil
}

func (u upstreamLinkRepo) ListForUser(ctx context.Context, userID domain.ID) ([]*domain.UpstreamLink, error) {
	return queryAll(ctx, u.r, scanUpstreamLink, `SELECT `+upstreamLinkColumns+`
		FROM upstream_oauth_links WHERE user_id = $1 ORDER BY upstream_oauth_link_id`, idv(userID))
}

// Remove deletes the link but keeps the login attempts that went through
// it, stamped unlinked_at, so their history (and the authentications made
// with them) survives.
func (u upstreamLinkRepo) Remove(ctx context.Context, linkID domain.ID) error {
	return u.r.atomically(ctx, func(r repos) error {
		if _, err := r.exec(ctx, `UPDATE upstream_oauth_authorization_sessions
			SET upstream_oauth_link_id = NULL, unlinked_at = $2 WHERE upstream_oauth_link_id = $1`,
			idv(linkID), r.t(r.now())); err != nil {
			return fmt.Errorf("remove upstream link %s: %w", linkID, err)
		}
		n, err := r.exec(ctx, `DELETE FROM upstream_oauth_links WHERE upstream_oauth_link_id = $1`, idv(linkID))
		if err != nil {
			return fmt.Errorf("remove upstream link %s: %w", linkID, err)
		}
		if n == 0 {
			return fmt.Errorf("remove upstream link %s: %w", linkID, store.ErrNotFound)
		}
		return nil
	})
}

// atomically runs fn in the caller's transaction, or in one of its own when
// the repositories are bound to the pool, so that a write made of several
// statements is never left half applied.
func (r repos) atomically(ctx context.Context, fn func(r repos) error) error {
	if r.tx != nil {
		return fn(r)
	}
	t, err := r.s.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback() //nolint:errcheck // no-op after commit
	if err := fn(t.repos); err != nil {
		return err
	}
	return t.Commit()
}
