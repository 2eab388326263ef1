package claims

import (
	"fmt"
	"reflect"

	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// guardTree rewrites a parsed template in place so that its rendering is
// bounded, and checks that every filter, test and method it names exists:
//   - `a + b`, `a ~ b` and `a * b` become `true and __mas_op(a, b, op)`,
//     which computes the same value after checking its size (the node is
//     changed in place because parents may hold it in fields we cannot set);
//   - every {{ output }} gets the __mas_out filter, which checks and
//     charges the value before it is turned into text.
//
// The walk goes through exported fields only and fails closed: a node
// type keeping something in an unexported field would hide expressions
// from the guards, so the template is refused instead.
func guardTree(root *nodes.Template, env knownNames) error {
	w := &treeWalker{seen: map[uintptr]bool{}, env: env}
	return w.walk(reflect.ValueOf(root))
}

// knownNames says which filter, test and method names exist.
type knownNames interface {
	hasFilter(name string) bool
	hasTest(name string) bool
	hasMethod(name string) bool
}

type treeWalker struct {
	seen map[uintptr]bool
	env  knownNames
}

var (
	tokenType = reflect.TypeFor[*tokens.Token]()
	// dataType is literal text, as {% raw %} keeps it: no expressions.
	dataType = reflect.TypeFor[*nodes.Data]()
)

func (w *treeWalker) walk(v reflect.Value) error {
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return w.walk(v.Elem())
	case reflect.Pointer:
		if v.IsNil() || v.Type() == tokenType {
			return nil
		}
		if w.seen[v.Pointer()] {
			return nil
		}
		w.seen[v.Pointer()] = true
		if err := w.walk(v.Elem()); err != nil {
			return err
		}
		return w.visit(v.Interface())
	case reflect.Struct:
		return w.walkStruct(v)
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if err := w.walk(v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if err := w.walk(it.Value()); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *treeWalker) walkStruct(v reflect.Value) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.IsExported() {
			if err := w.walk(v.Field(i)); err != nil {
				return err
			}
			continue
		}
		switch f.Type.Kind() {
		case reflect.Bool, reflect.Int, reflect.String:
			continue
		}
		if f.Type == tokenType || f.Type == dataType {
			continue
		}
		return fmt.Errorf("claims: %s keeps %s out of reach of the guards", t, f.Name)
	}
	return nil
}

// visit runs after a node's children were walked.
func (w *treeWalker) visit(node any) error {
	switch n := node.(type) {
	case *nodes.BinaryExpression:
		guardBinary(n)
	case *nodes.Output:
		n.Expression = withOutFilter(n.Expression)
		if n.Alternative != nil {
			n.Alternative = withOutFilter(n.Alternative)
		}
	case *nodes.FilterCall:
		if n.Name != outFilter && !w.env.hasFilter(n.Name) {
			return fmt.Errorf("unknown filter %q", n.Name)
		}
	case *nodes.TestCall:
		if !w.env.hasTest(n.Name) {
			return fmt.Errorf("unknown test %q", n.Name)
		}
	case *nodes.Call:
		// x.name(...) calls a method of x's type (or a callable attribute).
		if f, ok := n.Func.(*nodes.GetAttribute); ok && n.Parent != nil && f.Attribute != "" && !w.env.hasMethod(f.Attribute) {
			return fmt.Errorf("unknown method %q", f.Attribute)
		}
	}
	return nil
}

func guardBinary(n *nodes.BinaryExpression) {
	var op string
	switch n.Operator.Token.Type {
	case tokens.Addition:
		op = "+"
	case tokens.Tilde:
		op = "~"
	case tokens.Multiply:
		op = "*"
	default:
		return
	}
	at := n.Operator.Token
	call := &nodes.Call{
		Location: at,
		Func:     &nodes.Name{Name: &tokens.Token{Type: tokens.Name, Val: opFunc, Line: at.Line, Col: at.Col}},
		Args:     []nodes.Expression{n.Left, n.Right, &nodes.String{Location: at, Val: op}},
		Kwargs:   map[string]nodes.Expression{},
	}
	n.Left = &nodes.Bool{Location: &tokens.Token{Type: tokens.Name, Val: "true", Line: at.Line, Col: at.Col}, Val: true}
	n.Operator = &nodes.BinOperator{Token: &tokens.Token{Type: tokens.And, Val: "and", Line: at.Line, Col: at.Col}}
	n.Right = call
}

func withOutFilter(e nodes.Expression) nodes.Expression {
	guard := &nodes.FilterCall{
		Token:  e.Position(),
		Name:   outFilter,
		Kwargs: map[string]nodes.Expression{},
	}
	if f, ok := e.(*nodes.FilteredExpression); ok {
		f.Filters = append(f.Filters, guard)
		return f
	}
	return &nodes.FilteredExpression{Expression: e, Filters: []*nodes.FilterCall{guard}}
}
