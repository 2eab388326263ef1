package sqlstore

import (
	"context"
	"fmt"

	"mas/internal/domain"
	"mas/internal/store"
)

type policyDataRepo struct{ r repos }

func (r repos) PolicyData() store.PolicyDataRepository { return policyDataRepo{r} }

const policyDataColumns = `policy_data_id, data, created_at`

func scanPolicyData(row interface{ Scan(...any) error }) (*domain.PolicyData, error) {
	p := &domain.PolicyData{}
	err := row.Scan(id(&p.ID), strn(&p.Data), ts(&p.CreatedAt))
	return p, err
}

// Add stores a version. PostgreSQL keeps it as jsonb, so the text read
// back is equivalent JSON, not necessarily the same bytes.
func (d policyDataRepo) Add(ctx context.Context, data string) (*domain.PolicyData, error) {
	now := d.r.now()
	p := &domain.PolicyData{ID: d.r.newID(now), Data: data, CreatedAt: now}
	_, err := d.r.exec(ctx, `INSERT INTO policy_data (`+policyDataColumns+`) VALUES ($1, $2, $3)`,
		idv(p.ID), data, d.r.t(now))
	if err != nil {
		return nil, fmt.Errorf("add policy data: %w", err)
	}
	return p, nil
}

// policyDataNewestFirst orders by time, then ID: IDs made in the same millisecond are
// not ordered among themselves.
const policyDataNewestFirst = `ORDER BY created_at DESC, policy_data_id DESC`

func (d policyDataRepo) Latest(ctx context.Context) (*domain.PolicyData, error) {
	return queryOne(ctx, d.r, scanPolicyData, `SELECT `+policyDataColumns+` FROM policy_data `+policyDataNewestFirst+` LIMIT 1`)
}

func (d policyDataRepo) Lookup(ctx context.Context, dataID domain.ID) (*domain.PolicyData, error) {
	return queryOne(ctx, d.r, scanPolicyData, `SELECT `+policyDataColumns+` FROM policy_data WHERE policy_data_id = $1`,
		idv(dataID))
}

func (d policyDataRepo) Prune(ctx context.Context, keep int) (int, error) {
	if keep < 0 {
		return 0, fmt.Errorf("prune policy data: cannot keep %d versions", keep)
	}
	n, err := d.r.exec(ctx, `DELETE FROM policy_data WHERE policy_data_id NOT IN (
		SELECT policy_data_id FROM policy_data `+policyDataNewestFirst+` LIMIT $1)`, keep)
	if err != nil {
		return 0, fmt.Errorf("prune policy data: %w", err)
	}
	return int(n), nil
}
