package synapseconfig

import (
	"fmt"
	"math"
	"strings"
)

// reader reads typed values out of the merged tree, collecting every
// problem instead of stopping at the first.
type reader struct {
	t    *tree
	errs []error
}

func (r *reader) fail(path, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s: %s: %s", r.t.where(path), path, fmt.Sprintf(format, args...)))
}

// section is a mapping of the configuration at a key path.
type section struct {
	r    *reader
	path string
	m    map[string]any
}

func (r *reader) rootSection() section { return section{r: r, m: r.t.root} }

func (s section) at(key string) string { return joinKey(s.path, key) }

// value returns the key's value; an explicit null counts as absent.
func (s section) value(key string) (any, bool) {
	v, ok := s.m[key]
	return v, ok && v != nil
}

func (s section) has(key string) bool {
	_, ok := s.value(key)
	return ok
}

func (s section) wrongType(key, want string, v any) {
	s.r.fail(s.at(key), "expected %s, found %s", want, describe(v))
}

// scalar reads key with conv, or def when absent; want names the type
// for the error when conv refuses the value.
func scalar[T any](s section, key string, def T, want string, conv func(any) (T, bool)) T {
	v, ok := s.value(key)
	if !ok {
		return def
	}
	if x, ok := conv(v); ok {
		return x
	}
	s.wrongType(key, want, v)
	return def
}

// str reads a string, or def when absent.
func (s section) str(key, def string) string {
	return scalar(s, key, def, "a string", func(v any) (string, bool) { x, ok := v.(string); return x, ok })
}

// boolean reads a boolean, accepting the spellings PyYAML (YAML 1.1), and
// so Synapse, reads as booleans: yes/no and on/off as well as true/false.
func (s section) boolean(key string, def bool) bool {
	return scalar(s, key, def, "a boolean", asBool)
}

func asBool(v any) (value, ok bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(x) {
		case "yes", "on", "true":
			return true, true
		case "no", "off", "false":
			return false, true
		}
	}
	return false, false
}

// optBool reads a boolean that may be absent (nil).
func (s section) optBool(key string) *bool {
	if !s.has(key) {
		return nil
	}
	b := s.boolean(key, false)
	return &b
}

// integer reads an integer, or def when absent.
func (s section) integer(key string, def int) int {
	return scalar(s, key, def, "an integer", asInt)
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case uint64:
		if x <= math.MaxInt32 {
			return int(x), true
		}
	}
	return 0, false
}

// strList reads a list of strings, or def when absent.
func (s section) strList(key string, def []string) []string {
	v, ok := s.value(key)
	if !ok {
		return def
	}
	list, isList := v.([]any)
	if !isList {
		s.wrongType(key, "a list of strings", v)
		return def
	}
	out := make([]string, 0, len(list))
	for i, item := range list {
		str, isStr := item.(string)
		if !isStr {
			s.r.fail(fmt.Sprintf("%s[%d]", s.at(key), i), "expected a string, found %s", describe(item))
			continue
		}
		out = append(out, str)
	}
	return out
}

// strMap reads a mapping of strings (scalars are written out as text).
func (s section) strMap(key string) map[string]string {
	sub, ok := s.sub(key)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(sub.m))
	for k, v := range sub.m {
		text, isScalar := scalarText(v)
		if !isScalar {
			sub.wrongType(k, "a string", v)
			continue
		}
		out[k] = text
	}
	return out
}

// sub reads a mapping; ok is false when it is absent (or null).
func (s section) sub(key string) (section, bool) {
	v, ok := s.value(key)
	if !ok {
		return section{}, false
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		s.wrongType(key, "a mapping", v)
		return section{}, false
	}
	return section{r: s.r, path: s.at(key), m: m}, true
}

// enabled reads a section that only matters when it is enabled, as
// Synapse does (`section and section.get("enabled", def)`): absent, null
// or an empty mapping is disabled; otherwise its `enabled` key decides,
// def when missing.
func (s section) enabled(key string, def bool) bool {
	sub, ok := s.sub(key)
	if !ok || len(sub.m) == 0 {
		return false
	}
	return sub.boolean("enabled", def)
}

// scalarText writes a scalar as libpq or psycopg2 would receive it.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool, int, int64, uint64:
		return fmt.Sprint(x), true
	case float64:
		return fmt.Sprint(x), true
	}
	return "", false
}
