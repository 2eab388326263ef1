package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
)

// Engine evaluates the policies against one version of the policy data.
// The zero Engine has no data: it allows everything the rules allow without
// configuration.
type Engine struct {
	// static is the data the engine was built from, before any dynamic
	// data: WithData always merges onto it, never onto a previous merge.
	static map[string]any
	k      knobs
	// dynamic, once SetData ran, is the engine for the dynamic data in
	// effect, whose knobs the rules read instead of k.
	dynamic atomic.Pointer[dynamicData]
}

// dynamicData is one applied version of the dynamic data.
type dynamicData struct {
	version string
	engine  *Engine
}

// knobs returns the data the rules read now.
func (e *Engine) knobs() *knobs {
	if d := e.dynamic.Load(); d != nil {
		return &d.engine.k
	}
	return &e.k
}

// Base holds the values MAS computes from other configuration sections and
// puts under the operator's `policy.data`.
type Base struct {
	// ServerName is the homeserver name (`matrix.homeserver`), used for
	// the length of Matrix IDs.
	ServerName string
	// SessionLimit mirrors `experimental.session_limit`; nil disables the
	// session limit rules.
	SessionLimit *SessionLimit
}

// SessionLimit is `experimental.session_limit`.
type SessionLimit struct {
	SoftLimit uint64
	HardLimit uint64
	// MaxSessionThreshold, when not zero, exempts accounts holding more
	// sessions than this from the limits.
	MaxSessionThreshold        uint64
	DangerousHardLimitEviction bool
}

func (b Base) value() map[string]any {
	var limit any // JSON null when unset, as upstream serialises it
	if s := b.SessionLimit; s != nil {
		var threshold any
		if s.MaxSessionThreshold != 0 {
			threshold = json.Number(fmt.Sprint(s.MaxSessionThreshold))
		}
		limit = map[string]any{
			"soft_limit":                    json.Number(fmt.Sprint(s.SoftLimit)),
			"hard_limit":                    json.Number(fmt.Sprint(s.HardLimit)),
			"max_session_threshold":         threshold,
			"dangerous_hard_limit_eviction": s.DangerousHardLimitEviction,
		}
	}
	return map[string]any{"server_name": b.ServerName, "session_limit": limit}
}

// DataError reports policy data that cannot be used. Path names the key,
// dotted with array indexes (`registration.banned_usernames.regexes[1]`).
type DataError struct {
	Path string
	Msg  string
}

func (e *DataError) Error() string {
	if e.Path == "" {
		return "policy data: " + e.Msg
	}
	return "policy data: " + e.Path + ": " + e.Msg
}

// New builds an engine from the complete policy data: a JSON object, or
// null/empty for none. Known keys of the wrong type, invalid regular
// expressions, globs and IP ranges are errors (joined, one *DataError
// each); unknown keys are ignored.
func New(data json.RawMessage) (*Engine, error) {
	m, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	return build(m)
}

// NewFromMap is New for data already decoded, for instance from YAML. The
// values must be JSON-representable.
func NewFromMap(data map[string]any) (*Engine, error) {
	m, err := canonical(data)
	if err != nil {
		return nil, err
	}
	return build(m)
}

// NewWithBase builds an engine the way MAS loads its policy: the operator's
// `policy.data` (JSON, may be empty) merged over the injected base values,
// so the operator may override server_name or session_limit.
func NewWithBase(base Base, data json.RawMessage) (*Engine, error) {
	m, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	merged, err := Merge(base.value(), m)
	if err != nil {
		return nil, err
	}
	return build(merged.(map[string]any)) // two objects merge into one
}

// WithData returns an engine for the data this engine was built from merged
// with dynamic (the latest policy data stored through the admin API). It
// replaces any dynamic data applied before. An error leaves the receiver
// usable, so a bad update can be rejected and the old engine kept.
func (e *Engine) WithData(dynamic json.RawMessage) (*Engine, error) {
	m, err := decodeObject(dynamic)
	if err != nil {
		return nil, err
	}
	return e.withData(m)
}

// WithDataMap is WithData for data already decoded.
func (e *Engine) WithDataMap(dynamic map[string]any) (*Engine, error) {
	m, err := canonical(dynamic)
	if err != nil {
		return nil, err
	}
	return e.withData(m)
}

func (e *Engine) withData(dynamic map[string]any) (*Engine, error) {
	static := e.static
	if static == nil {
		static = map[string]any{}
	}
	merged, err := Merge(static, dynamic)
	if err != nil {
		return nil, err
	}
	n, err := build(merged.(map[string]any)) // two objects merge into one
	if err != nil {
		return nil, err
	}
	n.static = static
	return n, nil
}

func build(m map[string]any) (*Engine, error) {
	k, err := parseKnobs(m)
	if err != nil {
		return nil, err
	}
	return &Engine{static: m, k: k}, nil
}

// decodeObject reads policy data. Numbers stay json.Number so that large
// integers survive.
func decodeObject(raw json.RawMessage) (map[string]any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &DataError{Msg: "invalid JSON: " + err.Error()}
	}
	if dec.More() {
		return nil, &DataError{Msg: "invalid JSON: trailing data after the object"}
	}
	switch v := v.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return v, nil
	default:
		return nil, &DataError{Msg: "must be an object, got " + kindOf(v)}
	}
}

// canonical turns arbitrary Go values into the shapes decodeObject yields.
func canonical(m map[string]any) (map[string]any, error) {
	if m == nil {
		return map[string]any{}, nil
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, &DataError{Msg: "not representable as JSON: " + err.Error()}
	}
	return decodeObject(raw)
}

// Merge combines two policy data values as upstream does when it layers the
// operator's data over the injected values and the dynamic data over both:
// objects merge key by key, arrays concatenate, a scalar replaces a scalar
// of the same kind, null replaces anything and is replaced by anything.
// Anything else (a string over a number, an array over an object) is an
// error. The values must have the shapes encoding/json decodes into
// (map[string]any, []any, string, bool, float64 or json.Number, nil).
// Neither argument is modified; the result may share parts with them.
func Merge(left, right any) (any, error) {
	return merge("", left, right)
}

func merge(path string, left, right any) (any, error) {
	if left == nil || right == nil {
		return right, nil
	}
	switch l := left.(type) {
	case map[string]any:
		r, ok := right.(map[string]any)
		if !ok {
			break
		}
		out := make(map[string]any, len(l)+len(r))
		for k, v := range l {
			out[k] = v
		}
		for k, rv := range r {
			lv, ok := out[k]
			if !ok {
				out[k] = rv
				continue
			}
			mv, err := merge(joinKey(path, k), lv, rv)
			if err != nil {
				return nil, err
			}
			out[k] = mv
		}
		return out, nil
	case []any:
		r, ok := right.([]any)
		if !ok {
			break
		}
		out := make([]any, 0, len(l)+len(r))
		return append(append(out, l...), r...), nil
	default:
		if kindOf(left) == kindOf(right) && kindOf(left) != "array" && kindOf(left) != "object" {
			return right, nil
		}
	}
	return nil, &DataError{Path: path, Msg: fmt.Sprintf("cannot merge a %s into a %s", kindOf(right), kindOf(left))}
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64, float32, int, int64, uint64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// errorsOf joins parse errors; nil when there are none.
func errorsOf(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}

// AllowInsecureURIs reports the client_registration.allow_insecure_uris
// knob: the operator accepts clients on plain http and local addresses
// (development setups), which also lets the service fetch their keys there.
func (e *Engine) AllowInsecureURIs() bool { return e != nil && e.knobs().allowInsecureURIs }
