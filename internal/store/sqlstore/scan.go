package sqlstore

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"mas/internal/domain"
)

// The scanners below accept what either driver returns for a column:
// modernc gives INTEGER microseconds and TEXT, pgx gives time.Time and
// string. They convert to the domain types and reject anything else with
// an error naming the value, so a corrupt row never becomes a zero value.

type timeScanner struct{ dst *time.Time }

func (s timeScanner) Scan(v any) error {
	t, ok, err := toTime(v)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("unexpected NULL time")
	}
	*s.dst = t
	return nil
}

type nullTimeScanner struct{ dst **time.Time }

func (s nullTimeScanner) Scan(v any) error {
	t, ok, err := toTime(v)
	if err != nil {
		return err
	}
	if !ok {
		*s.dst = nil
		return nil
	}
	*s.dst = &t
	return nil
}

func toTime(v any) (time.Time, bool, error) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, false, nil
	case int64:
		return time.UnixMicro(x).UTC(), true, nil
	case time.Time:
		return x.UTC(), true, nil
	default:
		return time.Time{}, false, fmt.Errorf("cannot read %T as a time", v)
	}
}

// ts scans a non-null time column.
func ts(dst *time.Time) timeScanner { return timeScanner{dst} }

// tsn scans a nullable time column.
func tsn(dst **time.Time) nullTimeScanner { return nullTimeScanner{dst} }

type idScanner struct{ dst *domain.ID }

func (s idScanner) Scan(v any) error {
	str, ok, err := toString(v)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("unexpected NULL id")
	}
	id, err := domain.ParseID(str)
	if err != nil {
		return err
	}
	*s.dst = id
	return nil
}

type nullIDScanner struct{ dst **domain.ID }

func (s nullIDScanner) Scan(v any) error {
	str, ok, err := toString(v)
	if err != nil {
		return err
	}
	if !ok {
		*s.dst = nil
		return nil
	}
	id, err := domain.ParseID(str)
	if err != nil {
		return err
	}
	*s.dst = &id
	return nil
}

func toString(v any) (string, bool, error) {
	switch x := v.(type) {
	case nil:
		return "", false, nil
	case string:
		return x, true, nil
	case []byte:
		return string(x), true, nil
	default:
		return "", false, fmt.Errorf("cannot read %T as text", v)
	}
}

// id scans a non-null ID column.
func id(dst *domain.ID) idScanner { return idScanner{dst} }

// idn scans a nullable ID column.
func idn(dst **domain.ID) nullIDScanner { return nullIDScanner{dst} }

// idv binds an ID.
func idv(v domain.ID) string { return v.String() }

// idp binds an optional ID; nil becomes NULL.
func idp(v *domain.ID) any {
	if v == nil {
		return nil
	}
	return v.String()
}

// nullStr scans a nullable text column into a string ("" for NULL).
type nullStr struct{ dst *string }

func (s nullStr) Scan(v any) error {
	str, _, err := toString(v)
	*s.dst = str
	return err
}

func strn(dst *string) nullStr { return nullStr{dst} }

// strp binds a string, writing NULL for "".
func strp(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// scopeValue stores a scope list as one space-separated string, the form
// OAuth uses on the wire.
func scopeValue(scope []string) string { return strings.Join(scope, " ") }

type scopeScanner struct{ dst *[]string }

func (s scopeScanner) Scan(v any) error {
	str, _, err := toString(v)
	if err != nil {
		return err
	}
	*s.dst = strings.Fields(str)
	return nil
}

func scope(dst *[]string) scopeScanner { return scopeScanner{dst} }

// jsonList stores a string list as a JSON array.
func jsonList(l []string) string {
	if l == nil {
		l = []string{}
	}
	b, _ := json.Marshal(l) // a []string always marshals
	return string(b)
}

type jsonListScanner struct{ dst *[]string }

func (s jsonListScanner) Scan(v any) error {
	str, ok, err := toString(v)
	if err != nil || !ok {
		return err
	}
	var l []string
	if err := json.Unmarshal([]byte(str), &l); err != nil {
		return fmt.Errorf("reading JSON list: %w", err)
	}
	*s.dst = l
	return nil
}

func list(dst *[]string) jsonListScanner { return jsonListScanner{dst} }

// boolScanner reads SQLite INTEGER 0/1 and PostgreSQL booleans.
type boolScanner struct{ dst *bool }

func (s boolScanner) Scan(v any) error {
	switch x := v.(type) {
	case bool:
		*s.dst = x
	case int64:
		*s.dst = x != 0
	case nil:
		*s.dst = false
	default:
		return fmt.Errorf("cannot read %T as a boolean", v)
	}
	return nil
}

func boolean(dst *bool) boolScanner { return boolScanner{dst} }

// bytesScanner reads BLOB/bytea columns.
type bytesScanner struct{ dst *[]byte }

func (s bytesScanner) Scan(v any) error {
	switch x := v.(type) {
	case []byte:
		*s.dst = append([]byte(nil), x...)
	case string:
		*s.dst = []byte(x)
	case nil:
		*s.dst = nil
	default:
		return fmt.Errorf("cannot read %T as bytes", v)
	}
	return nil
}

func bytesCol(dst *[]byte) bytesScanner { return bytesScanner{dst} }
