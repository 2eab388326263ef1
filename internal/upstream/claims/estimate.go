package claims

import (
	"strings"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// estimator predicts the size of a filter's or method's result from its
// input and arguments, for those whose result can be far larger than
// what goes in; it returns an error when the prediction is too large.
type estimator func(in *exec.Value, params *exec.VarArgs) error

func tooLarge(est int) error {
	if est > MaxValueBytes {
		return limitErr("result would be larger than %d bytes", MaxValueBytes)
	}
	return nil
}

func strArg(params *exec.VarArgs, i int, name, fallback string) string {
	if v := arg(params, i, name); v != nil && !v.IsNil() {
		return v.String()
	}
	return fallback
}

func intArg(params *exec.VarArgs, i int, name string, fallback int) int {
	if v := arg(params, i, name); v != nil && v.IsInteger() {
		return v.Integer()
	}
	return fallback
}

// joinEstimate: the separator repeats once per item.
func joinEstimate(items *exec.Value, sep string) error {
	n := 0
	if items.IsIterable() {
		n = items.Len()
	}
	return tooLarge(sizeOf(items, MaxValueBytes) + n*len(sep))
}

// replaceEstimate: every match of old grows the string by new.
func replaceEstimate(s, old, new string) error {
	count := strings.Count(s, old)
	if old == "" {
		count = utf8.RuneCountInString(s) + 1
	}
	if count > 0 && len(new) > MaxValueBytes/count {
		return tooLarge(MaxValueBytes + 1)
	}
	return tooLarge(len(s) + count*len(new))
}

// formatEstimate: widths written in a format string, and `*` widths taken
// from the arguments, each pad the result.
func formatEstimate(format string, params *exec.VarArgs) error {
	est := len(format) + sizeOf(params.Args, MaxValueBytes) + sizeOf(params.KwArgs, MaxValueBytes)
	num := 0
	for _, r := range format + " " {
		if r >= '0' && r <= '9' {
			num = min(num*10+int(r-'0'), MaxValueBytes+1)
			continue
		}
		est += num
		num = 0
	}
	if stars := strings.Count(format, "*"); stars > 0 {
		widest := 0
		for _, a := range params.Args {
			if a.IsInteger() {
				widest = max(widest, a.Integer())
			}
		}
		est += stars * min(widest, MaxValueBytes+1)
	}
	return tooLarge(est)
}

// shape counts the elements and the nesting depth of a value.
func shape(v *exec.Value, depth int) (elements, deepest int) {
	deepest = depth
	if depth > 64 || (!v.IsList() && !v.IsDict()) {
		return 1, deepest
	}
	v.Iterate(func(_, _ int, key, value *exec.Value) bool {
		item := key
		if value != nil {
			item = value
		}
		e, d := shape(item, depth+1)
		elements += e
		deepest = max(deepest, d)
		return elements <= MaxValueBytes
	}, func() {})
	return elements, deepest
}

var filterEstimators = map[string]estimator{
	"join": func(in *exec.Value, p *exec.VarArgs) error {
		return joinEstimate(in, strArg(p, 0, "d", ""))
	},
	"replace": func(in *exec.Value, p *exec.VarArgs) error {
		return replaceEstimate(in.String(), strArg(p, 0, "old", ""), strArg(p, 1, "new", ""))
	},
	"indent": func(in *exec.Value, p *exec.VarArgs) error {
		width := 4
		if w := arg(p, 0, "width"); w != nil {
			if w.IsInteger() {
				width = w.Integer()
			} else {
				width = len(w.String())
			}
		}
		lines := strings.Count(in.String(), "\n") + 1
		return tooLarge(len(in.String()) + lines*max(width, 0))
	},
	"wordwrap": func(in *exec.Value, p *exec.VarArgs) error {
		width := max(intArg(p, 0, "width", 79), 1)
		wrap := strArg(p, 2, "wrapstring", "\n")
		s := in.String()
		return tooLarge(len(s) + (len(s)/width+1)*len(wrap))
	},
	"tojson": func(in *exec.Value, p *exec.VarArgs) error {
		indent := max(intArg(p, 0, "indent", 0), 0)
		elements, depth := shape(in, 0)
		return tooLarge(2*sizeOf(in, MaxValueBytes) + elements*depth*indent)
	},
	"format": func(in *exec.Value, p *exec.VarArgs) error {
		return formatEstimate(in.String(), p)
	},
}

var methodEstimators = map[string]estimator{
	"join": func(self *exec.Value, p *exec.VarArgs) error {
		items := arg(p, 0, "iterable")
		if items == nil {
			return nil
		}
		return joinEstimate(items, self.String())
	},
	"replace": func(self *exec.Value, p *exec.VarArgs) error {
		return replaceEstimate(self.String(), strArg(p, 0, "old", ""), strArg(p, 1, "new", ""))
	},
	"expandtabs": func(self *exec.Value, p *exec.VarArgs) error {
		size := max(intArg(p, 0, "tabsize", 8), 0)
		return tooLarge(len(self.String()) + strings.Count(self.String(), "\t")*size)
	},
	"format": func(self *exec.Value, p *exec.VarArgs) error {
		return formatEstimate(self.String(), p)
	},
	"format_map": func(self *exec.Value, p *exec.VarArgs) error {
		return formatEstimate(self.String(), p)
	},
}
