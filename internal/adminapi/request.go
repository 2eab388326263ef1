package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mas/internal/domain"
	"mas/internal/routes"
	"mas/internal/store"
)

// maxBody bounds a request body; the largest legitimate one is policy data.
const maxBody = 1 << 20

// lister describes one list endpoint to serveList: how the allowed
// filters become the store's filter (a string is the 400 title), how the
// store counts and pages the rows, and how a row becomes a resource.
// parse reads the filters through the reader, which keeps the first bad
// value.
type lister[F, T any] struct {
	base    string   // the collection path, for the links
	filters []string // allowed filter names
	parse   func(*filterReader) F
	count   func(context.Context, F) (int, error)
	fetch   func(context.Context, F, store.Page) ([]T, error)
	id      func(T) domain.ID
	toRes   func(T) resource
}

// serveList answers a list request: page[…], count and filter[…] are read
// and checked, then the store counts (unless count=false) and pages
// (unless count=only).
func serveList[F, T any](w http.ResponseWriter, r *http.Request, l lister[F, T]) {
	q := r.URL.Query()
	p, bad := parsePagination(q)
	if bad == "" {
		var filters url.Values
		if filters, bad = parseFilters(q, l.filters...); bad == "" {
			fr := &filterReader{values: filters}
			f := l.parse(fr)
			if bad = fr.bad; bad == "" {
				serveListPage(w, r, l, p, filters, f)
				return
			}
		}
	}
	writeError(w, http.StatusBadRequest, bad)
}

func serveListPage[F, T any](w http.ResponseWriter, r *http.Request, l lister[F, T], p pagination, filters url.Values, f F) {
	var total *int
	if p.count != countFalse {
		n, err := l.count(r.Context(), f)
		if err != nil {
			internalError(w, r, err)
			return
		}
		total = &n
	}
	var rows []T
	if p.count != countOnly {
		var err error
		if rows, err = l.fetch(r.Context(), f, p.storePage()); err != nil {
			internalError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, page(p, rows, total, l.base, filters, l.id, l.toRes))
}

// serveOne answers GET of one resource: the {id} path parameter looked
// up, 404 with notFound's title when there is no such row.
func serveOne[T any](w http.ResponseWriter, r *http.Request, lookup func(context.Context, domain.ID) (T, error), notFound func(domain.ID) string, toRes func(T) resource) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	v, err := lookup(r.Context(), id)
	if found(w, r, err, notFound(id)) {
		writeSingle(w, http.StatusOK, toRes(v))
	}
}

// pathID reads the {id} path parameter; a malformed one answers 400.
func pathID(w http.ResponseWriter, r *http.Request) (domain.ID, bool) {
	raw := r.PathValue(routes.ParamID)
	id, err := domain.ParseID(raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Invalid ID "+strconv.Quote(raw))
		return domain.ZeroID, false
	}
	return id, true
}

// readJSON decodes the request body into v; malformed JSON, unknown
// fields' wrong types or a body too large answer 400 (unknown fields are
// ignored, as upstream's serde does). So does text no database column
// can hold: invalid UTF-8 (which json.RawMessage fields would keep) and
// NUL characters.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	switch {
	case err != nil:
	case len(raw) > maxBody:
		err = errors.New("body too large")
	case !utf8.Valid(raw):
		err = errors.New("body is not valid UTF-8")
	case hasEscapedNUL(raw):
		err = errors.New("strings must not contain NUL characters")
	default:
		dec := json.NewDecoder(bytes.NewReader(raw))
		err = dec.Decode(v)
		if err == nil && dec.More() {
			err = errors.New("trailing data after the JSON value")
		}
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "Invalid JSON body: "+err.Error())
		return false
	}
	return true
}

// hasEscapedNUL reports whether JSON text holds a \u0000 escape (raw
// control characters are not valid JSON): a run of backslashes before
// "u0000" escapes it when the run is odd.
func hasEscapedNUL(raw []byte) bool {
	for i := 0; ; {
		j := bytes.Index(raw[i:], []byte(`u0000`))
		if j < 0 {
			return false
		}
		j += i
		n := 0
		for k := j - 1; k >= 0 && raw[k] == '\\'; k-- {
			n++
		}
		if n%2 == 1 {
			return true
		}
		i = j + 1
	}
}

// validText reports whether s can be stored and compared as text: valid
// UTF-8 without NUL (which PostgreSQL rejects).
func validText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// requireFields is an UnmarshalJSON helper: it fails, as upstream's serde
// does, unless the JSON object b has every named field.
func requireFields(b []byte, names ...string) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	for _, name := range names {
		if _, ok := fields[name]; !ok {
			return fmt.Errorf("missing field `%s`", name)
		}
	}
	return nil
}

// found maps a store lookup: ErrNotFound answers 404 with notFound, any
// other error 500; ok means v can be used.
func found(w http.ResponseWriter, r *http.Request, err error, notFound string) bool {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, notFound)
		return false
	case err != nil:
		internalError(w, r, err)
		return false
	}
	return true
}

// notFoundTitle is upstream's 404 title for a resource: "<what> ID <id> not found".
func notFoundTitle(what string, id domain.ID) string {
	return what + " ID " + id.String() + " not found"
}

// filterReader reads typed filter values; the first bad one is kept as
// the 400 title in bad, and later reads return zero values.
type filterReader struct {
	values url.Values
	bad    string
}

// raw returns filter[name]'s value, or "" when absent or after an error.
func (f *filterReader) raw(name string) string {
	if f.bad != "" {
		return ""
	}
	return f.values.Get("filter[" + name + "]")
}

func (f *filterReader) fail(name, must string) {
	f.bad = "Invalid filter parameters: filter[" + name + "] " + must
}

// Bool reads true or false (nil when absent).
func (f *filterReader) Bool(name string) *bool {
	switch f.raw(name) {
	case "":
		return nil
	case "true":
		return new(true)
	case "false":
		return new(false)
	}
	f.fail(name, "must be true or false")
	return nil
}

// ID reads a resource ID (zero when absent).
func (f *filterReader) ID(name string) domain.ID {
	raw := f.raw(name)
	if raw == "" {
		return domain.ZeroID
	}
	id, err := domain.ParseID(raw)
	if err != nil {
		f.fail(name, "is not a valid ID")
	}
	return id
}

// Time reads an RFC 3339 date-time (nil when absent).
func (f *filterReader) Time(name string) *time.Time {
	raw := f.raw(name)
	if raw == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		f.fail(name, "must be an RFC 3339 date-time")
		return nil
	}
	return &t
}

// Enum reads one of allowed ("" when absent).
func (f *filterReader) Enum(name string, allowed ...string) string {
	raw := f.raw(name)
	if raw == "" || slices.Contains(allowed, raw) {
		return raw
	}
	f.fail(name, "must be one of "+strings.Join(allowed, ", "))
	return ""
}

// String reads a free value ("" when absent).
func (f *filterReader) String(name string) string { return f.raw(name) }

// Scopes reads the repeatable filter[scope]: every value must be a scope
// token, with upstream's title otherwise.
func (f *filterReader) Scopes() []string {
	var tokens []string
	for _, tok := range f.values["filter[scope]"] {
		if f.bad != "" {
			return nil
		}
		if !isScopeToken(tok) {
			f.bad = "Invalid scope " + strconv.Quote(tok) + " in filter parameters"
			return nil
		}
		tokens = append(tokens, tok)
	}
	return tokens
}
