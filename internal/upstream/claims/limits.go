package claims

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// Bounds on one template and one rendering. Claim templates are short
// expressions; these leave ample room for them while keeping a broken or
// hostile template from looping forever or exhausting memory.
const (
	// MaxTemplateBytes is the longest template source accepted.
	MaxTemplateBytes = 8 << 10
	// MaxValueBytes bounds every value an operator, filter or method
	// takes or produces, and the rendered output.
	MaxValueBytes = 64 << 10
	// MaxRenderBytes bounds the bytes all operators, filters and outputs
	// of one rendering produce together.
	MaxRenderBytes = 1 << 20
	// MaxIterations bounds the loop iterations and range() items of one
	// rendering, nested loops included.
	MaxIterations = 10000
)

// errLimit is wrapped by every error a bound raises.
var errLimit = errors.New("template exceeds a rendering limit")

func limitErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errLimit, fmt.Sprintf(format, args...))
}

// budget is the allowance of one rendering. Its fields are unexported and
// it has no exported methods, so a template that reaches it by name can
// neither read nor change it.
type budget struct {
	bytes      int
	iterations int
}

func newBudget() *budget {
	return &budget{bytes: MaxRenderBytes, iterations: MaxIterations}
}

func (b *budget) spend(n int) error {
	b.bytes -= n
	if b.bytes < 0 {
		return limitErr("more than %d bytes produced", MaxRenderBytes)
	}
	return nil
}

func (b *budget) iterate(n int) error {
	b.iterations -= n
	if b.iterations < 0 {
		return limitErr("more than %d loop iterations", MaxIterations)
	}
	return nil
}

// budgetOf finds the rendering's budget in the evaluation context. A
// missing budget (never the case for our templates) gets a fresh one so
// the checks still apply.
func budgetOf(ctx *exec.Context) *budget {
	if v, ok := ctx.Get(budgetVar); ok {
		if b, ok := v.(*budget); ok {
			return b
		}
	}
	return newBudget()
}

// sizeOf estimates how many bytes a value takes once rendered as text,
// which is also roughly what materialising it costs. The walk stops as
// soon as the estimate passes limit, so it is cheap on huge values.
func sizeOf(v any, limit int) int {
	m := measure{limit: limit}
	m.walk(v)
	return m.n
}

// measure walks a value for its size and for an error inside it: gonja
// keeps a failed element of a list or dict literal as an error value
// instead of failing, and it must not be rendered as text.
type measure struct {
	limit int
	n     int
	err   error
}

func (m *measure) walk(v any) {
	if m.n > m.limit || m.err != nil {
		return
	}
	switch x := v.(type) {
	case nil:
		return
	case *exec.Value:
		if x == nil {
			return
		}
		if x.IsError() {
			m.err = x
			return
		}
		m.walk(x.Interface())
		return
	case error:
		m.err = x
		return
	case string:
		m.n += len(x) + 2
		return
	case *exec.Dict:
		for _, p := range x.Pairs {
			m.walk(p.Key)
			m.walk(p.Value)
			m.n += 4
		}
		return
	case *exec.Pair:
		m.walk(x.Key)
		m.walk(x.Value)
		return
	case tlv:
		for _, b := range x {
			m.n += len(b) + 8
		}
		return
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		m.n += rv.Len() + 2
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len() && m.n <= m.limit; i++ {
			m.walk(rv.Index(i).Interface())
			m.n += 2
		}
	case reflect.Map:
		it := rv.MapRange()
		for it.Next() && m.n <= m.limit {
			m.walk(it.Key().Interface())
			m.walk(it.Value().Interface())
			m.n += 4
		}
	case reflect.Pointer, reflect.Interface:
		if !rv.IsNil() && rv.Elem().CanInterface() {
			m.walk(rv.Elem().Interface())
		}
	default:
		m.n += 8
	}
}

// checkValue refuses a value larger than MaxValueBytes, or holding an
// error, and returns its size.
func checkValue(what string, v any) (int, error) {
	m := measure{limit: MaxValueBytes}
	m.walk(v)
	if m.err != nil {
		return 0, m.err
	}
	if m.n > MaxValueBytes {
		return 0, limitErr("%s is larger than %d bytes", what, MaxValueBytes)
	}
	return m.n, nil
}

// limitWriter collects the rendered output and refuses to grow it past
// MaxValueBytes.
type limitWriter struct {
	buf []byte
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if len(w.buf)+len(p) > MaxValueBytes {
		return 0, limitErr("output is longer than %d bytes", MaxValueBytes)
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}
