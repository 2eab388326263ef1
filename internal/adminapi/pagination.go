package adminapi

import (
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"mas/internal/domain"
	"mas/internal/store"
)

// defaultPageSize is upstream's page size without page[first]/page[last].
const defaultPageSize = 10

// Values of the count parameter.
const (
	countTrue  = "true"
	countFalse = "false"
	countOnly  = "only"
)

// pagination is a list request's page[…] and count parameters. Forward
// walks (page[first], page[after]) and backward ones (page[last],
// page[before]) both take either cursor as a bound, as upstream does.
type pagination struct {
	size          int
	backward      bool
	after, before domain.ID
	count         string
}

// parsePagination reads the parameters; the string is the 400 error title.
func parsePagination(q url.Values) (pagination, string) {
	p := pagination{size: defaultPageSize, count: countTrue}
	first, last := q.Get("page[first]"), q.Get("page[last]")
	if first != "" && last != "" {
		return p, "Can't specify both first and last pagination parameters"
	}
	for _, s := range []struct {
		raw      string
		backward bool
	}{{first, false}, {last, true}} {
		if s.raw == "" {
			continue
		}
		n, err := strconv.Atoi(s.raw)
		if err != nil || n < 1 {
			return p, "Invalid pagination parameters: page size must be a positive integer"
		}
		p.size, p.backward = n, s.backward
	}
	for _, c := range []struct {
		name string
		into *domain.ID
	}{{"page[after]", &p.after}, {"page[before]", &p.before}} {
		if raw := q.Get(c.name); raw != "" {
			id, err := domain.ParseID(raw)
			if err != nil {
				return p, "Invalid pagination parameters: " + c.name + " is not a valid cursor"
			}
			*c.into = id
		}
	}
	switch c := q.Get("count"); c {
	case "":
	case countTrue, countFalse, countOnly:
		p.count = c
	default:
		return p, "Invalid count parameter: expected true, false or only"
	}
	return p, ""
}

// storePage asks for one row more than the page holds, which tells whether
// another page follows. A size of math.MaxInt leaves the limit at that
// size rather than overflowing to a negative one (no table holds so many
// rows, so no page follows).
func (p pagination) storePage() store.Page {
	return store.Page{After: p.after, Before: p.before, Backward: p.backward, Limit: max(p.size, p.size+1)}
}

// page builds the list response from the rows storePage fetched (in walk
// order) and the total (nil without count). base is the list's path and
// filters the filter parameters, which every link keeps.
func page[T any](p pagination, rows []T, total *int, base string, filters url.Values, id func(T) domain.ID, toResource func(T) resource) paginated {
	more := len(rows) > p.size
	if more {
		rows = rows[:p.size]
	}
	if p.backward {
		slices.Reverse(rows)
	}
	link := func(cursorName string, cursor domain.ID, sizeName string) string {
		return linkTo(base, filters, p.count, cursorName, cursor, sizeName, p.size)
	}
	out := paginated{Links: paginationLinks{
		First: link("", domain.ZeroID, "page[first]"),
		Last:  link("", domain.ZeroID, "page[last]"),
	}}
	if p.backward {
		out.Links.Self = link("page[before]", p.before, "page[last]")
	} else {
		out.Links.Self = link("page[after]", p.after, "page[first]")
	}
	if total != nil {
		out.Meta = &paginationMeta{Count: *total}
	}
	if p.count == countOnly {
		return out
	}
	data := make([]resource, 0, len(rows))
	for _, row := range rows {
		res := toResource(row)
		res.Meta = &resourceMeta{Page: resourcePage{Cursor: id(row).String()}}
		data = append(data, res)
	}
	out.Data = data
	if more && !p.backward {
		out.Links.Next = link("page[after]", id(rows[len(rows)-1]), "page[first]")
	}
	if more && p.backward {
		out.Links.Prev = link("page[before]", id(rows[0]), "page[last]")
	}
	return out
}

// linkTo spells a list link: the filters (sorted), the cursor, the page
// size and a non-default count, with brackets left readable as upstream.
func linkTo(base string, filters url.Values, count, cursorName string, cursor domain.ID, sizeName string, size int) string {
	var parts []string
	keys := make([]string, 0, len(filters))
	for k := range filters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range filters[k] {
			parts = append(parts, k+"="+url.QueryEscape(v))
		}
	}
	if cursorName != "" && cursor != domain.ZeroID {
		parts = append(parts, cursorName+"="+cursor.String())
	}
	parts = append(parts, sizeName+"="+strconv.Itoa(size))
	if count != countTrue {
		parts = append(parts, "count="+count)
	}
	return base + "?" + strings.Join(parts, "&")
}

// parseFilters returns the filter[…] parameters, all of which must be
// among the allowed names; the string is the 400 error title.
func parseFilters(q url.Values, allowed ...string) (url.Values, string) {
	out := url.Values{}
	for k, vs := range q {
		name, ok := strings.CutPrefix(k, "filter[")
		if !ok {
			continue
		}
		name, ok = strings.CutSuffix(name, "]")
		if !ok || !slices.Contains(allowed, name) {
			return nil, "Unknown filter parameter " + strconv.Quote(k)
		}
		for _, v := range vs {
			if !validText(v) {
				return nil, "Invalid filter parameters: " + k + " is not valid text"
			}
		}
		out[k] = vs
	}
	return out, ""
}
