package claims

import (
	"errors"
	"fmt"

	"github.com/nikolalohinski/gonja/v2/builtins"
	controlStructures "github.com/nikolalohinski/gonja/v2/builtins/control_structures"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// controls is the set of {% tags %} claim templates may use. Tags that
// recurse (macro, call, recursive loops), read other templates (include,
// import, from, extends, block) or capture output unbounded (filter,
// with) are refused when the template is parsed, so every rendering
// terminates.
func controls() *exec.ControlStructureSet {
	set := map[string]parser.ControlStructureParser{
		"for": parseFor,
		"set": parseSet,
	}
	for _, name := range []string{"if", "do", "break", "continue", "raw"} {
		p, ok := builtins.ControlStructures.Get(name)
		if !ok {
			panic("claims: gonja lacks the " + name + " tag")
		}
		set[name] = p
	}
	for _, name := range []string{"macro", "call", "include", "import", "from", "extends", "block", "filter", "with", "autoescape", "trans"} {
		set[name] = refuseTag(name)
	}
	return exec.NewControlStructureSet(set)
}

func refuseTag(name string) parser.ControlStructureParser {
	return func(*parser.Parser, *parser.Parser) (nodes.ControlStructure, error) {
		return nil, fmt.Errorf("the {%% %s %%} tag is not available in claim templates", name)
	}
}

// forStmt is gonja's for loop, its iterations charged to the budget.
type forStmt struct {
	*controlStructures.ForControlStructure
}

func parseFor(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	inner, ok := builtins.ControlStructures.Get("for")
	if !ok {
		return nil, errors.New("claims: gonja lacks the for tag")
	}
	cs, err := inner(p, args)
	if err != nil {
		return nil, err
	}
	loop, ok := cs.(*controlStructures.ForControlStructure)
	if !ok {
		return nil, fmt.Errorf("claims: unexpected for loop node %T", cs)
	}
	if loop.Recursive {
		return nil, errors.New("recursive loops are not available in claim templates")
	}
	return forStmt{loop}, nil
}

func (f forStmt) Execute(r *exec.Renderer, tag *nodes.ControlStructureBlock) error {
	items := r.Eval(f.ObjectEvaluator)
	if items.IsError() {
		return items
	}
	n := 0
	if items.IsIterable() {
		n = items.Len()
	}
	if err := budgetOf(r.Environment.Context).iterate(n); err != nil {
		return err
	}
	return f.ForControlStructure.Execute(r, tag)
}

// setStmt is {% set target = value [if cond else alt] %} and the block
// form {% set target %}…{% endset %}, whose captured output is bounded
// like the template's own. It is ours rather than gonja's so that the
// guards reach the expressions it holds.
type setStmt struct {
	Location    *tokens.Token
	Target      nodes.Expression
	Value       nodes.Expression
	Condition   nodes.Expression
	Alternative nodes.Expression
	Body        *nodes.Wrapper
}

func (s *setStmt) Position() *tokens.Token { return s.Location }
func (s *setStmt) String() string {
	return fmt.Sprintf("set(line %d)", s.Location.Line)
}

func parseSet(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &setStmt{Location: p.Current()}
	target, err := args.ParseVariableOrLiteral()
	if err != nil {
		return nil, err
	}
	switch target.(type) {
	case *nodes.Name, *nodes.GetAttribute, *nodes.GetItem:
		s.Target = target
	default:
		return nil, fmt.Errorf("cannot assign to %s", target)
	}
	if args.Match(tokens.Assign) == nil {
		if !args.End() {
			return nil, args.Error("expected '=' or the end of the tag", args.Current())
		}
		body, end, err := p.WrapUntil("endset")
		if err != nil {
			return nil, err
		}
		if !end.End() {
			return nil, end.Error("endset takes no arguments", nil)
		}
		s.Body = body
		return s, nil
	}
	if s.Value, err = args.ParseExpression(); err != nil {
		return nil, err
	}
	if s.Condition, s.Alternative, err = args.ParseCondition(); err != nil {
		return nil, err
	}
	if s.Condition != nil && s.Alternative == nil {
		return nil, args.Error("a conditional set needs an else", args.Current())
	}
	if !args.End() {
		return nil, args.Error("unexpected text in set", args.Current())
	}
	return s, nil
}

func (s *setStmt) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	value, err := s.value(r)
	if err != nil {
		return err
	}
	switch t := s.Target.(type) {
	case *nodes.Name:
		r.Environment.Context.Set(t.Name.Val, value.Interface())
		return nil
	case *nodes.GetAttribute:
		target := r.Eval(t.Node)
		if target.IsError() {
			return target
		}
		return target.Set(exec.AsValue(t.Attribute), value.Interface())
	case *nodes.GetItem:
		target := r.Eval(t.Node)
		if target.IsError() {
			return target
		}
		key := r.Eval(t.Arg)
		if key.IsError() {
			return key
		}
		return target.Set(key, value.Interface())
	}
	return fmt.Errorf("cannot assign to %s", s.Target)
}

func (s *setStmt) value(r *exec.Renderer) (*exec.Value, error) {
	if s.Body != nil {
		out := &limitWriter{}
		sub := r.Inherit()
		sub.Output = out
		if err := sub.ExecuteWrapper(s.Body); err != nil {
			return nil, err
		}
		return exec.AsSafeValue(string(out.buf)), nil
	}
	expr := s.Value
	if s.Condition != nil {
		cond := r.Eval(s.Condition)
		if cond.IsError() {
			return nil, cond
		}
		if cond.IsNil() || !cond.IsTrue() {
			expr = s.Alternative
		}
	}
	v := r.Eval(expr)
	if v.IsError() {
		return nil, v
	}
	return v, nil
}
