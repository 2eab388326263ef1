package claims

import (
	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/logging"
)

// The Jinja filters, and the Python methods of each type, that templates
// may use: gonja's, each behind the size guards.
var (
	builtinFilterNames = []string{
		"abs", "attr", "batch", "capitalize", "center", "count", "d", "default",
		"dictsort", "e", "escape", "filesizeformat", "first", "float",
		"forceescape", "format", "groupby", "indent", "int", "items", "join",
		"last", "length", "list", "lower", "map", "max", "min", "pprint",
		"random", "reject", "rejectattr", "replace", "reverse", "round", "safe",
		"select", "selectattr", "slice", "sort", "string", "striptags", "sum",
		"title", "tojson", "trim", "truncate", "unique", "upper", "urlencode",
		"urlize", "wordcount", "wordwrap", "xmlattr",
	}
	strMethodNames = []string{
		"capitalize", "capwords", "casefold", "center", "count", "encode",
		"endswith", "expandtabs", "find", "format", "format_map", "isalnum",
		"isalpha", "isascii", "isdecimal", "isdigit", "islower", "isnumeric",
		"isprintable", "isspace", "istitle", "isupper", "join", "ljust",
		"lower", "lstrip", "partition", "removeprefix", "removesuffix",
		"replace", "rfind", "rjust", "rpartition", "rsplit", "rstrip", "split",
		"splitlines", "startswith", "strip", "swapcase", "title", "upper",
		"zfill",
	}
	listMethodNames  = []string{"append", "reverse", "copy"}
	dictMethodNames  = []string{"keys", "values", "items", "get", "pop", "setdefault", "update", "copy", "clear"}
	intMethodNames   = []string{"is_integer", "bit_length", "bit_count", "as_integer_ratio"}
	floatMethodNames = []string{"is_integer", "as_integer_ratio", "hex"}
	boolMethodNames  = []string{"string", "int", "bit_length", "bit_count", "as_integer_ratio"}
	globalNames      = []string{"dict", "namespace", "joiner", "cycler"}
	// callableAttributes are called like methods: cycler.next() and
	// .reset(), loop.cycle() and loop.changed().
	callableAttributes = []string{"next", "reset", "cycle", "changed"}
)

// environment is this package's own gonja environment, built once and
// read-only afterwards; gonja's global default environment is untouched.
var environment = newEnvironment()

func init() {
	// gonja logs through logrus only when enabled; keep it off.
	logging.SetEnabled(false)
}

type engine struct {
	env     *exec.Environment
	methods map[string]bool
}

func newEnvironment() *engine {
	filters := map[string]exec.FilterFunction{outFilter: filterOut}
	for _, name := range builtinFilterNames {
		if fn, ok := builtins.Filters.Get(name); ok {
			filters[name] = guardFilter(name, fn)
		}
	}
	for name, fn := range extraFilters {
		filters[name] = guardFilter(name, fn)
	}
	globals := map[string]any{"range": boundedRange, opFunc: guardedOp}
	for _, name := range globalNames {
		if fn, ok := builtins.GlobalFunctions.Get(name); ok {
			globals[name] = fn
		}
	}
	methods := map[string]bool{}
	for _, names := range [][]string{strMethodNames, listMethodNames, dictMethodNames, intMethodNames, floatMethodNames, boolMethodNames, callableAttributes} {
		for _, n := range names {
			methods[n] = true
		}
	}
	return &engine{methods: methods, env: &exec.Environment{
		Context:           exec.NewContext(globals),
		Filters:           exec.NewFilterSet(filters),
		Tests:             builtins.Tests,
		ControlStructures: controls(),
		Methods: exec.Methods{
			Str:   guardMethods(builtins.Methods.Str, strMethodNames, true),
			List:  guardMethods(builtins.Methods.List, listMethodNames, false),
			Dict:  guardMethods(builtins.Methods.Dict, dictMethodNames, false),
			Int:   guardMethods(builtins.Methods.Int, intMethodNames, false),
			Float: guardMethods(builtins.Methods.Float, floatMethodNames, false),
			Bool:  guardMethods(builtins.Methods.Bool, boolMethodNames, false),
		},
	}}
}

func guardMethods[T any](set *exec.MethodSet[T], names []string, intsAreSizes bool) *exec.MethodSet[T] {
	out := map[string]exec.Method[T]{}
	for _, name := range names {
		if m, ok := set.Get(name); ok {
			out[name] = guardMethod(name, m, intsAreSizes)
		}
	}
	return exec.NewMethodSet(out)
}

func (e *engine) hasFilter(name string) bool { return name != outFilter && e.env.Filters.Exists(name) }
func (e *engine) hasTest(name string) bool   { return e.env.Tests.Exists(name) }
func (e *engine) hasMethod(name string) bool { return e.methods[name] }
