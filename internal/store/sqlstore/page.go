package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"mas/internal/domain"
	"mas/internal/store"
)

// conds collects the WHERE conditions of a listing with numbered
// placeholders, so filters of any number can be combined.
type conds struct {
	where []string
	args  []any
}

// add appends a condition whose one %d is the placeholder of v.
func (c *conds) add(cond string, v any) {
	c.args = append(c.args, v)
	c.where = append(c.where, fmt.Sprintf(cond, len(c.args)))
}

// raw appends a condition without an argument.
func (c *conds) raw(cond string) { c.where = append(c.where, cond) }

func (c *conds) clause() string {
	if len(c.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.where, " AND ")
}

// listPage selects columns from `from` (a table, or a join whose idCol is
// the listed rows' ID) matching c, one cursor page ordered by idCol.
func listPage[T any](ctx context.Context, r repos, scan func(interface{ Scan(...any) error }) (*T, error), columns, from, idCol string, c conds, p store.Page) ([]*T, error) {
	if p.After != domain.ZeroID {
		c.add(idCol+" > $%d", idv(p.After))
	}
	if p.Before != domain.ZeroID {
		c.add(idCol+" < $%d", idv(p.Before))
	}
	order := idCol
	if p.Backward {
		order += " DESC"
	}
	c.args = append(c.args, p.Limit)
	q := fmt.Sprintf("SELECT %s FROM %s%s ORDER BY %s LIMIT $%d", columns, from, c.clause(), order, len(c.args))
	return queryAll(ctx, r, scan, q, c.args...)
}

// countWhere counts the rows of `from` matching c.
func countWhere(ctx context.Context, r repos, from string, c conds) (int, error) {
	var n int
	err := r.q.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+from+c.clause(), c.args...).Scan(&n)
	return n, r.mapErr(err)
}

// likeEscaper makes a search string match literally inside LIKE.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// contains is a LIKE pattern matching s anywhere, case-insensitively when
// the column is lowered too.
func contains(s string) string { return "%" + likeEscaper.Replace(strings.ToLower(s)) + "%" }
