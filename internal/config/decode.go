package config

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// decoder fills a Go value from a tree, collecting every problem it meets
// instead of stopping at the first one.
type decoder struct {
	probs Problems
	// warnings are what upstream would silently accept: unknown keys, and
	// keys a bind or resource does not use. They become probs when strict.
	warnings Problems
	// notices are keys of older upstream releases that are recognised and
	// honoured.
	notices Problems
	strict  bool
}

// nodeDecoder is implemented by types whose YAML shape is not a plain
// struct, such as listener resources (tagged by `name`) and binds (one of
// several key sets).
type nodeDecoder interface {
	decodeNode(d *decoder, n *node, path string)
}

// defaulter fills a freshly allocated value with upstream's defaults. It is
// called for list elements and optional sub-structures before decoding.
type defaulter interface {
	setDefaults()
}

// presentHook runs when a section is given in the input, before its keys
// are decoded. Upstream distinguishes "section absent" from "section given
// with some keys"; for example a given `http` section has no listeners
// unless it lists them.
type presentHook interface {
	beforeDecode()
}

// lenientReader is implemented by sections that accept keys of older
// upstream releases, or keys upstream refuses although they harm nothing.
// It tells the operator what becomes of those keys (honoured, mapped onto
// today's settings, or ignored) and returns the node to decode, without
// the keys it consumed itself.
type lenientReader interface {
	readLenient(d *decoder, n *node, path string) *node
}

// afterHook runs after a struct's keys have been decoded.
type afterHook interface {
	afterDecode()
}

// enumeration is implemented by string types that accept a fixed set of
// values; the empty string always means "not set".
type enumeration interface {
	enumValues() []string
}

func (d *decoder) fail(n *node, path, format string, args ...any) {
	d.probs = append(d.probs, problemAt(n, path, fmt.Sprintf(format, args...)))
}

// problemAt is a problem located at n's file and line.
func problemAt(n *node, path, message string) Problem {
	p := Problem{Path: path, Message: message}
	if n != nil && n.src != nil {
		p.File = n.src.name
		p.Line = n.line()
	}
	return p
}

// warn records something upstream accepts without a word: a warning, or
// an error in strict mode.
func (d *decoder) warn(n *node, path, format string, args ...any) {
	if d.strict {
		d.fail(n, path, format, args...)
		return
	}
	d.warnings = append(d.warnings, problemAt(n, path, fmt.Sprintf(format, args...)+"; ignored"))
}

// notice records a key of an older upstream release that is honoured.
func (d *decoder) notice(n *node, path, format string, args ...any) {
	d.notices = append(d.notices, problemAt(n, path, fmt.Sprintf(format, args...)))
}

func (d *decoder) typeError(n *node, path, expected string) {
	msg := fmt.Sprintf("expected %s, found %s", expected, n.describe())
	if expected == "a string" && n.kind == kindScalar {
		msg += "; quote the value if it is meant as text"
	}
	d.fail(n, path, "%s", msg)
}

// decode stores n into v. A null node leaves defaults in place for scalars
// and structs (upstream treats `key: ~` like an absent key) and clears
// pointers, lists and maps (upstream's `Option` becomes `None`).
func (d *decoder) decode(n *node, path string, v reflect.Value) {
	if v.CanAddr() {
		if nd, ok := v.Addr().Interface().(nodeDecoder); ok {
			if n.kind != kindNull {
				nd.decodeNode(d, n, path)
			}
			return
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		if n.kind == kindNull {
			v.SetZero()
			return
		}
		if v.IsNil() {
			nv := reflect.New(v.Type().Elem())
			applyDefaults(nv)
			v.Set(nv)
		}
		d.decode(n, path, v.Elem())
	case reflect.Interface:
		if n.kind != kindNull {
			v.Set(reflect.ValueOf(n.toAny()))
		}
	case reflect.Struct:
		d.decodeStruct(n, path, v)
	case reflect.Slice:
		d.decodeSlice(n, path, v)
	case reflect.Map:
		d.decodeMap(n, path, v)
	case reflect.String:
		d.decodeString(n, path, v)
	case reflect.Bool:
		if n.kind == kindNull {
			return
		}
		b, ok := n.value.(bool)
		if !ok {
			d.typeError(n, path, "a boolean (true or false)")
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		d.decodeInteger(n, path, v)
	case reflect.Float32, reflect.Float64:
		d.decodeFloat(n, path, v)
	default:
		d.fail(n, path, "internal error: cannot decode into %s", v.Type())
	}
}

func applyDefaults(ptr reflect.Value) {
	if df, ok := ptr.Interface().(defaulter); ok {
		df.setDefaults()
	}
}

func (d *decoder) decodeStruct(n *node, path string, v reflect.Value) {
	if n.kind == kindNull {
		return
	}
	if n.kind != kindMap {
		d.typeError(n, path, "a mapping")
		return
	}
	if h, ok := v.Addr().Interface().(presentHook); ok {
		h.beforeDecode()
	}
	if lr, ok := v.Addr().Interface().(lenientReader); ok {
		n = lr.readLenient(d, n, path)
	}
	info := fieldsOf(v.Type())
	for _, k := range n.keys {
		child := n.children[k]
		f, ok := info.byName[k]
		if !ok {
			d.unknownKey(child, joinPath(path, k), k, info.names())
			continue
		}
		d.decode(child, joinPath(path, k), v.Field(f.index))
	}
	for _, f := range info.list {
		if _, ok := n.children[f.name]; f.required && !ok {
			d.fail(n, joinPath(path, f.name), "missing required key")
		}
	}
	if h, ok := v.Addr().Interface().(afterHook); ok {
		h.afterDecode()
	}
}

func (d *decoder) unknownKey(n *node, path, key string, known []string) {
	if s := suggest(key, known); s != "" {
		d.warn(n, path, "unknown key (did you mean %q?)", s)
		return
	}
	d.warn(n, path, "unknown key")
}

func (d *decoder) decodeSlice(n *node, path string, v reflect.Value) {
	if n.kind == kindNull {
		v.SetZero()
		return
	}
	if n.kind != kindSeq {
		d.typeError(n, path, "a sequence")
		return
	}
	if len(n.items) == 0 {
		// Empty and absent lists mean the same; keeping them equal makes
		// Marshal round trips exact.
		v.SetZero()
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.items), len(n.items))
	for i, item := range n.items {
		elem := s.Index(i)
		applyDefaults(elem.Addr())
		d.decode(item, indexPath(path, i), elem)
	}
	v.Set(s)
}

func (d *decoder) decodeMap(n *node, path string, v reflect.Value) {
	if n.kind == kindNull {
		v.SetZero()
		return
	}
	if n.kind != kindMap {
		d.typeError(n, path, "a mapping")
		return
	}
	if len(n.keys) == 0 {
		v.SetZero()
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.keys))
	for _, k := range n.keys {
		ev := reflect.New(v.Type().Elem()).Elem()
		d.decode(n.children[k], joinPath(path, k), ev)
		m.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), ev)
	}
	v.Set(m)
}

func (d *decoder) decodeString(n *node, path string, v reflect.Value) {
	if n.kind == kindNull {
		return
	}
	s, ok := n.value.(string)
	if !ok && n.kind == kindScalar && n.raw != "" {
		s, ok = n.raw, true
	}
	if !ok || n.kind != kindScalar {
		d.typeError(n, path, "a string")
		return
	}
	v.SetString(s)
	if e, ok := v.Interface().(enumeration); ok && s != "" && !slices.Contains(e.enumValues(), s) {
		d.fail(n, path, "unknown value %q, expected one of: %s", s, strings.Join(e.enumValues(), ", "))
	}
}

func (d *decoder) decodeInteger(n *node, path string, v reflect.Value) {
	if n.kind == kindNull {
		return
	}
	unsigned := v.Kind() >= reflect.Uint && v.Kind() <= reflect.Uint64
	lo, hi := intRange(v)
	switch x := n.value.(type) {
	case int64:
		if unsigned && x < 0 {
			d.fail(n, path, "must not be negative (found %d)", x)
			return
		}
		if unsigned {
			if v.OverflowUint(uint64(x)) {
				d.fail(n, path, "out of range: must be between %s and %s (found %d)", lo, hi, x)
				return
			}
			v.SetUint(uint64(x))
			return
		}
		if v.OverflowInt(x) {
			d.fail(n, path, "out of range: must be between %s and %s (found %d)", lo, hi, x)
			return
		}
		v.SetInt(x)
	case uint64:
		if unsigned {
			if v.OverflowUint(x) {
				d.fail(n, path, "out of range: must be between %s and %s (found %d)", lo, hi, x)
				return
			}
			v.SetUint(x)
			return
		}
		if x > math.MaxInt64 || v.OverflowInt(int64(x)) {
			d.fail(n, path, "out of range: must be between %s and %s (found %d)", lo, hi, x)
			return
		}
		v.SetInt(int64(x))
	default:
		d.typeError(n, path, "an integer")
	}
}

func intRange(v reflect.Value) (string, string) {
	bits := v.Type().Bits()
	if v.Kind() >= reflect.Uint && v.Kind() <= reflect.Uint64 {
		if bits == 64 {
			return "0", fmt.Sprint(uint64(math.MaxUint64))
		}
		return "0", fmt.Sprint(uint64(1)<<bits - 1)
	}
	return fmt.Sprint(-(int64(1) << (bits - 1))), fmt.Sprint(int64(1)<<(bits-1) - 1)
}

func (d *decoder) decodeFloat(n *node, path string, v reflect.Value) {
	if n.kind == kindNull {
		return
	}
	var f float64
	switch x := n.value.(type) {
	case float64:
		f = x
	case int64:
		f = float64(x)
	case uint64:
		f = float64(x)
	default:
		d.typeError(n, path, "a number")
		return
	}
	if v.OverflowFloat(f) {
		d.fail(n, path, "number out of range")
		return
	}
	v.SetFloat(f)
}

// field describes one struct field as seen from YAML.
type field struct {
	name      string
	index     int
	omitEmpty bool
	required  bool
}

type structInfo struct {
	list   []field
	byName map[string]field
}

func (s *structInfo) names() []string {
	out := make([]string, len(s.list))
	for i, f := range s.list {
		out[i] = f.name
	}
	return out
}

var fieldCache sync.Map // reflect.Type -> *structInfo

// fieldsOf reads the `yaml:"name,omitempty"` and `required:"true"` tags.
// omitempty here means "left out of Marshal output when equal to the
// default", see encode.go.
func fieldsOf(t reflect.Type) *structInfo {
	if cached, ok := fieldCache.Load(t); ok {
		return cached.(*structInfo)
	}
	info := &structInfo{byName: map[string]field{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("yaml")
		if !ok || tag == "-" || !sf.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		f := field{
			name:      name,
			index:     i,
			omitEmpty: slices.Contains(strings.Split(opts, ","), "omitempty"),
			required:  sf.Tag.Get("required") == "true",
		}
		info.list = append(info.list, f)
		info.byName[name] = f
	}
	fieldCache.Store(t, info)
	return info
}

// suggest returns the known key closest to a misspelt one, if any is close.
func suggest(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if dist := editDistance(key, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// decodeKeys is a helper for nodeDecoder implementations: it decodes the
// keys of a mapping into the fields of a struct, accepting only the keys in
// allowed and reporting the others with reason.
func (d *decoder) decodeKeys(n *node, path string, target any, allowed []string, reason string) {
	v := reflect.ValueOf(target).Elem()
	info := fieldsOf(v.Type())
	for _, k := range n.keys {
		child := n.children[k]
		f, ok := info.byName[k]
		if !ok || !slices.Contains(allowed, k) {
			if reason != "" && ok {
				d.warn(child, joinPath(path, k), "unknown key (%s)", reason)
			} else {
				d.unknownKey(child, joinPath(path, k), k, allowed)
			}
			continue
		}
		d.decode(child, joinPath(path, k), v.Field(f.index))
	}
}
