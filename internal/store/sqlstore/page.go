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

// id appends col = v unless v is zero (the filter is unset).
func (c *conds) id(col string, v domain.ID) {
	if v != domain.ZeroID {
		c.add(col+" = $%d", idv(v))
	}
}

// ids adds the IDs as arguments and returns their placeholders, comma
// separated, for an IN list.
func (c *conds) ids(ids []domain.ID) string {
	marks := make([]string, len(ids))
	for i, v := range ids {
		c.args = append(c.args, idv(v))
		marks[i] = fmt.Sprintf("$%d", len(c.args))
	}
	return strings.Join(marks, ", ")
}

// either appends yes or no as b is true or false, nothing when b is nil.
func (c *conds) either(b *bool, yes, no string) {
	if b != nil {
		c.raw(eitherCond(*b, yes, no))
	}
}

func eitherCond(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// scopeHasAll keeps the rows whose space-separated scope_list holds every
// token, matched whole and case-sensitively as scope tokens are (SQLite's
// LIKE is not, hence instr/strpos).
func (c *conds) scopeHasAll(r repos, tokens []string) {
	find := "strpos"
	if r.s.opts.Dialect == SQLite {
		find = "instr"
	}
	for _, token := range tokens {
		c.add(find+"(' ' || scope_list || ' ', $%d) > 0", " "+token+" ")
	}
}

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
