package claims

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// The filters upstream adds to the template language. Byte strings are
// Go strings holding the raw bytes: rendering one shows it as text, as
// upstream does, and tlvdecode reads it back as bytes. A missing input
// (None) gives None, so `user.missing | b64decode` is simply no value.
var extraFilters = map[string]exec.FilterFunction{
	"split":     filterSplit,
	"b64decode": filterB64Decode,
	"b64encode": filterB64Encode,
	"tlvdecode": filterTLVDecode,
	"from_json": filterFromJSON,
}

func filterError(err error) *exec.Value { return exec.AsValue(err) }

// arg returns positional argument i or the keyword argument name, or nil.
func arg(params *exec.VarArgs, i int, name string) *exec.Value {
	if i < len(params.Args) {
		return params.Args[i]
	}
	if v, ok := params.KwArgs[name]; ok {
		return v
	}
	return nil
}

// filterSplit splits a string like Python's str.split: on a separator,
// or on runs of whitespace when none is given, at most maxsplits times.
func filterSplit(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() || in.IsNil() {
		return in
	}
	if !in.IsString() {
		return filterError(errors.New("split expects a string"))
	}
	maxSplits := -1
	if m := arg(params, 1, "maxsplits"); m != nil && !m.IsNil() {
		if !m.IsInteger() {
			return filterError(errors.New("split: maxsplits must be an integer"))
		}
		maxSplits = m.Integer()
	}
	s := in.String()
	sep := arg(params, 0, "sep")
	if sep == nil || sep.IsNil() {
		return exec.AsValue(splitWhitespace(s, maxSplits))
	}
	if !sep.IsString() || sep.String() == "" {
		return filterError(errors.New("split: the separator must be a non-empty string"))
	}
	n := -1
	if maxSplits >= 0 {
		n = maxSplits + 1
	}
	return exec.AsValue(toAnyList(strings.SplitN(s, sep.String(), n)))
}

func splitWhitespace(s string, maxSplits int) []any {
	out := []any{}
	for {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		if s == "" {
			return out
		}
		if maxSplits >= 0 && len(out) == maxSplits {
			return append(out, s)
		}
		end := strings.IndexFunc(s, unicode.IsSpace)
		if end < 0 {
			return append(out, s)
		}
		out = append(out, s[:end])
		s = s[end:]
	}
}

func toAnyList(parts []string) []any {
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out
}

// filterB64Decode accepts standard and URL-safe base64, padded or not.
func filterB64Decode(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	if in.IsError() || in.IsNil() {
		return in
	}
	s := in.String()
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return exec.AsValue(string(b))
		}
	}
	return filterError(errors.New("b64decode: not a base64 string"))
}

func filterB64Encode(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	if in.IsError() || in.IsNil() {
		return in
	}
	return exec.AsValue(base64.StdEncoding.EncodeToString([]byte(in.String())))
}

// tlv is the result of tlvdecode: value bytes by one-byte tag. Both
// tlv[18] and tlv['18'] find tag 18.
type tlv map[int]string

// GetItem lets templates index a tlv by tag number or its decimal text.
func (t tlv) GetItem(key any) (*exec.Value, bool) {
	var tag int
	switch k := key.(type) {
	case int:
		tag = k
	case string:
		n, err := strconv.Atoi(k)
		if err != nil {
			return exec.AsValue(nil), false
		}
		tag = n
	default:
		return exec.AsValue(nil), false
	}
	v, ok := t[tag]
	if !ok {
		return exec.AsValue(nil), false
	}
	return exec.AsValue(v), true
}

// String renders a tlv like a dict, tags in order.
func (t tlv) String() string {
	tags := make([]int, 0, len(t))
	for tag := range t {
		tags = append(tags, tag)
	}
	sort.Ints(tags)
	var b strings.Builder
	b.WriteByte('{')
	for i, tag := range tags {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d: %q", tag, t[tag])
	}
	b.WriteByte('}')
	return b.String()
}

// filterTLVDecode reads a sequence of one-byte tag, one-byte length and
// value entries, as upstream does (no multi-byte varints).
func filterTLVDecode(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	if in.IsError() || in.IsNil() {
		return in
	}
	b := []byte(in.String())
	out := tlv{}
	for len(b) > 0 {
		if len(b) < 2 || len(b) < 2+int(b[1]) {
			return filterError(errors.New("tlvdecode: truncated tag-length-value data"))
		}
		tag, n := int(b[0]), int(b[1])
		out[tag] = string(b[2 : 2+n])
		b = b[2+n:]
	}
	return exec.AsValue(out)
}

func filterFromJSON(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	if in.IsError() || in.IsNil() {
		return in
	}
	v, err := decodeJSON([]byte(in.String()))
	if err != nil {
		return filterError(errors.New("from_json: not valid JSON"))
	}
	return exec.AsValue(v)
}

func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	return normalize(v), nil
}

// normalize turns decoded JSON into the values templates expect: whole
// numbers become integers, so a numeric `id` claim renders as "12345" and
// not "12345.0" (upstream keeps JSON integers as integers too).
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case []string:
		return toAnyList(x)
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return int(i)
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return string(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x)
		}
		return x
	case float32:
		return normalize(float64(x))
	case int64:
		return int(x)
	case int32:
		return int(x)
	default:
		return v
	}
}
