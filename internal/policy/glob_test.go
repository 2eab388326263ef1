package policy

import "testing"

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"example.com", "example.com", true},
		{"example.com", "exampleXcom", false}, // "." is literal
		{"example.com", "sub.example.com", false},
		{"*.example.com", "sub.example.com", true},
		{"*.example.com", "a.b.example.com", false},
		{"*.example.com", "example.com", false},
		{"*.example.com", ".example.com", true}, // * may be empty
		{"**.example.com", "a.b.example.com", true},
		{"**", "anything.at.all", true},
		{"*", "com", true},
		{"*", "example.com", false},
		{"ex*le.com", "example.com", true},
		{"?.com", "a.com", true},
		{"?.com", "ab.com", false},
		{"?com", ".com", false},
		{"[abc].com", "b.com", true},
		{"[abc].com", "d.com", false},
		{"[a-c].com", "b.com", true},
		{"[!a-c].com", "d.com", true},
		{"[!a-c].com", "b.com", false},
		{"[.]com", ".com", true},
		{"{a,b}.com", "a.com", true},
		{"{a,b}.com", "b.com", true},
		{"{a,b}.com", "c.com", false},
		{"{a,*.b}.com", "x.b.com", true},
		{"{a,{b,c}}.com", "c.com", true},
		{"{a,}.com", ".com", true},
		{`\*.com`, "*.com", true},
		{`\*.com`, "a.com", false},
		{"a,b.com", "a,b.com", true}, // comma is literal outside braces
		{"a}b", "a}b", true},
		{"(a|b)+.com", "(a|b)+.com", true}, // regexp syntax is literal
		{"(a|b)+.com", "a.com", false},
		{"é.com", "é.com", true},
		{"?.com", "é.com", true},
	}
	for _, tt := range tests {
		re, err := compileGlob(tt.pattern)
		if err != nil {
			t.Errorf("compileGlob(%q): %v", tt.pattern, err)
			continue
		}
		if got := re.MatchString(tt.s); got != tt.want {
			t.Errorf("glob %q matches %q = %v, want %v (regexp %s)", tt.pattern, tt.s, got, tt.want, re)
		}
	}
}

func TestGlobErrors(t *testing.T) {
	for _, pattern := range []string{"[abc", "[]", "[!]", "{a,b", "{", `a\`, "[z-a]", "{a,{b}"} {
		if re, err := compileGlob(pattern); err == nil {
			t.Errorf("compileGlob(%q) = %s, want an error", pattern, re)
		}
	}
}
