package claims

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// Names the rewritten templates use; sources mentioning the prefix are
// refused so a template can neither call nor shadow them.
const (
	reservedPrefix = "__mas_"
	opFunc         = "__mas_op"     // the guarded +, ~ and *
	outFilter      = "__mas_out"    // checks and charges every {{ output }}
	budgetVar      = "__mas_budget" // the rendering's *budget
)

// guardedOp computes `left op right` for the operators that can grow a
// value (+, ~ and *) with gonja's own semantics, after checking that the
// result stays within MaxValueBytes, and charges it to the budget.
func guardedOp(e *exec.Evaluator, params *exec.VarArgs) *exec.Value {
	if len(params.Args) != 3 {
		return exec.AsValue(errors.New("internal: bad operator call"))
	}
	left, right, op := params.Args[0], params.Args[1], params.Args[2].String()
	ls, err := checkValue("operand", left)
	if err != nil {
		return exec.AsValue(err)
	}
	rs, err := checkValue("operand", right)
	if err != nil {
		return exec.AsValue(err)
	}
	est := ls + rs
	if op == "*" && left.IsString() && !right.IsFloat() && !left.IsFloat() {
		n := right.Integer()
		if n < 0 {
			n = 0
		}
		if n > 0 && len(left.String()) > MaxValueBytes/n {
			return exec.AsValue(limitErr("repeated string is larger than %d bytes", MaxValueBytes))
		}
		est = len(left.String()) * n
	}
	if est > MaxValueBytes {
		return exec.AsValue(limitErr("result of %q would be larger than %d bytes", op, MaxValueBytes))
	}
	if err := budgetOf(e.Environment.Context).spend(est + 1); err != nil {
		return exec.AsValue(err)
	}
	switch op {
	case "~":
		return exec.AsValue(left.String() + right.String())
	case "+":
		return add(left, right)
	case "*":
		return multiply(left, right)
	}
	return exec.AsValue(fmt.Errorf("internal: unknown operator %q", op))
}

func add(left, right *exec.Value) *exec.Value {
	switch {
	case left.IsList():
		if !right.IsList() {
			return exec.AsValue(errors.New("can only concatenate a list to a list"))
		}
		out := make([]any, 0, left.Len()+right.Len())
		for _, v := range []*exec.Value{left, right} {
			for i := 0; i < v.Len(); i++ {
				out = append(out, v.Index(i).Interface())
			}
		}
		return exec.AsValue(out)
	case left.IsFloat() || right.IsFloat():
		return exec.AsValue(left.Float() + right.Float())
	case left.IsString() || right.IsString():
		return exec.AsValue(left.String() + right.String())
	default:
		return exec.AsValue(left.Integer() + right.Integer())
	}
}

func multiply(left, right *exec.Value) *exec.Value {
	switch {
	case left.IsFloat() || right.IsFloat():
		return exec.AsValue(left.Float() * right.Float())
	case left.IsString():
		return exec.AsValue(strings.Repeat(left.String(), max(right.Integer(), 0)))
	default:
		return exec.AsValue(left.Integer() * right.Integer())
	}
}

// filterOut is appended to every {{ output }} expression: the value is
// about to be turned into text, so its size is checked and charged first.
func filterOut(e *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	return charge(e, "output value", in)
}

// charge checks a value that was produced and charges it to the budget;
// it returns the value, or the error.
func charge(e *exec.Evaluator, what string, v *exec.Value) *exec.Value {
	n, err := checkValue(what, v)
	if err != nil {
		return exec.AsValue(err)
	}
	if err := budgetOf(e.Environment.Context).spend(n + 1); err != nil {
		return exec.AsValue(err)
	}
	return v
}

// boundedRange is range() returning a list of at most MaxIterations items,
// charged to the budget (gonja's own streams through a goroutine that
// never ends when a loop stops early).
func boundedRange(e *exec.Evaluator, params *exec.VarArgs) *exec.Value {
	ints := make([]int, len(params.Args))
	for i, a := range params.Args {
		if !a.IsInteger() {
			return exec.AsValue(errors.New("range: arguments must be integers"))
		}
		ints[i] = a.Integer()
	}
	start, stop, step := 0, 0, 1
	switch len(ints) {
	case 1:
		stop = ints[0]
	case 2:
		start, stop = ints[0], ints[1]
	case 3:
		start, stop, step = ints[0], ints[1], ints[2]
	default:
		return exec.AsValue(errors.New("range: expected [start,] stop[, step]"))
	}
	if step == 0 {
		return exec.AsValue(errors.New("range: step must not be zero"))
	}
	count := 0.0
	if (step > 0 && stop > start) || (step < 0 && stop < start) {
		count = math.Ceil((float64(stop) - float64(start)) / float64(step))
	}
	if count > MaxIterations {
		return exec.AsValue(limitErr("range of more than %d items", MaxIterations))
	}
	if err := budgetOf(e.Environment.Context).iterate(int(count)); err != nil {
		return exec.AsValue(err)
	}
	out := make([]int, 0, int(count))
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		out = append(out, i)
	}
	return exec.AsValue(out)
}

// valueFilters take integers that are values, not sizes.
var valueFilters = map[string]bool{
	"default": true, "d": true, "int": true, "float": true, "sum": true,
	"format": true, "replace": true, "max": true, "min": true,
}

// checkArgs refuses oversized arguments and, where integers are sizes,
// integers beyond MaxValueBytes.
func checkArgs(params *exec.VarArgs, intsAreSizes bool) error {
	all := append([]*exec.Value{}, params.Args...)
	for _, v := range params.KwArgs {
		all = append(all, v)
	}
	for _, a := range all {
		if _, err := checkValue("argument", a); err != nil {
			return err
		}
		if intsAreSizes && a.IsInteger() && (a.Integer() > MaxValueBytes || a.Integer() < -MaxValueBytes) {
			return limitErr("integer argument beyond %d", MaxValueBytes)
		}
	}
	return nil
}

// guardFilter wraps a filter with the size checks, the estimate and the
// budget charge of its result.
func guardFilter(name string, fn exec.FilterFunction) exec.FilterFunction {
	est := filterEstimators[name]
	return func(e *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
		if in.IsError() {
			return in
		}
		if _, err := checkValue("input", in); err != nil {
			return exec.AsValue(err)
		}
		if err := checkArgs(params, !valueFilters[name]); err != nil {
			return exec.AsValue(err)
		}
		if est != nil {
			if err := est(in, params); err != nil {
				return exec.AsValue(err)
			}
		}
		out := fn(e, in, params)
		if out.IsError() {
			return out
		}
		return charge(e, "result", out)
	}
}

// guardMethod wraps a method the same way. Methods get no evaluator, so
// their results are not charged; the size checks still bound each call.
func guardMethod[T any](name string, m exec.Method[T], intsAreSizes bool) exec.Method[T] {
	est := methodEstimators[name]
	return func(self T, selfValue *exec.Value, params *exec.VarArgs) (any, error) {
		if _, err := checkValue("value", selfValue); err != nil {
			return nil, err
		}
		if err := checkArgs(params, intsAreSizes); err != nil {
			return nil, err
		}
		if est != nil {
			if err := est(selfValue, params); err != nil {
				return nil, err
			}
		}
		out, err := m(self, selfValue, params)
		if err != nil {
			return nil, err
		}
		if _, err := checkValue("result", out); err != nil {
			return nil, err
		}
		return out, nil
	}
}
