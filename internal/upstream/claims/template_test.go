package claims

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/nikolalohinski/gonja/v2/builtins"
)

// testUser is a claims set like a Keycloak ID token merged with userinfo.
func testUser() map[string]any {
	return map[string]any{
		"sub":                "248289761001",
		"preferred_username": "Alice",
		"name":               "Alice Liddell",
		"given_name":         "Alice",
		"family_name":        "Liddell",
		"email":              "Alice@Example.COM",
		"email_verified":     true,
		"groups":             []any{"admins", "staff"},
		"id":                 float64(12345), // as encoding/json decodes a number
		"ratio":              1.5,
		"nothing":            nil,
		"address":            map[string]any{"country": "UK"},
		"upn":                "alice@corp.example",
	}
}

func renderWith(t *testing.T, source string, vars map[string]any) (string, error) {
	t.Helper()
	tpl, err := parseTemplate(source)
	if err != nil {
		t.Fatalf("parse %q: %v", source, err)
	}
	return tpl.render(vars)
}

func TestTemplatesRenderAsUpstream(t *testing.T) {
	user := normalize(testUser())
	for _, tc := range []struct {
		name, template, want string
	}{
		// The seed documentation's examples.
		{"seed localpart", "{{ user.preferred_username }}", "Alice"},
		{"seed displayname", "{{ user.name }}", "Alice Liddell"},
		{"seed email", "{{ user.email }}", "Alice@Example.COM"},
		{"seed subject", "{{ user.sub }}", "248289761001"},
		// What operators write.
		{"lower", "{{ user.preferred_username | lower }}", "alice"},
		{"concatenation", "{{ user.given_name ~ ' ' ~ user.family_name }}", "Alice Liddell"},
		{"concatenation trimmed", "{{ (user.given_name ~ ' ' ~ user.missing) | trim }}", "Alice"},
		{"default on missing", "{{ user.nickname | default(user.preferred_username) }}", "Alice"},
		{"default on null", "{{ user.nothing | default('anon') }}", "anon"},
		{"inline if", "{{ user.sub if user.email_verified else 'unverified' }}", "248289761001"},
		{"inline if else", "{{ user.name if user.missing else 'fallback' }}", "fallback"},
		{"split method and index", "{{ user.email.split('@')[0] }}", "Alice"},
		{"split method lower", "{{ user.upn.split('@')[0] | lower }}", "alice"},
		{"replace", "{{ user.name | lower | replace(' ', '.') }}", "alice.liddell"},
		{"truncate", "{{ user.name | truncate(5, true, '') }}", "Alice"},
		{"first of list", "{{ user.groups | first }}", "admins"},
		{"join list", "{{ user.groups | join(',') }}", "admins,staff"},
		{"nested claim", "{{ user.address.country }}", "UK"},
		{"item syntax", "{{ user['preferred_username'] }}", "Alice"},
		{"whole number", "{{ user.id }}", "12345"},
		{"fraction", "{{ user.ratio }}", "1.5"},
		{"arithmetic", "{{ user.id + 1 }}", "12346"},
		{"string repeat", "{{ '-' * 3 }}", "---"},
		{"list concatenation", "{{ (user.groups + ['x']) | length }}", "3"},
		{"is defined", "{% if user.email is defined %}yes{% endif %}", "yes"},
		{"if block", "{% if 'admins' in user.groups %}admin{% else %}user{% endif %}", "admin"},
		{"for loop", "{% for g in user.groups %}{{ g }}{% if not loop.last %}+{% endif %}{% endfor %}", "admins+staff"},
		{"set", "{% set local = user.email.split('@')[0] %}{{ local | lower }}", "alice"},
		{"set block", "{% set x %}{{ user.given_name }}!{% endset %}{{ x }}", "Alice!"},
		{"namespace", "{% set ns = namespace(n=0) %}{% for g in user.groups %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}", "2"},
		{"startswith method", "{{ user.email.startswith('Alice') }}", "True"},
		{"whitespace control", "{%- set x = 'a' -%}  {{- x -}}  ", "a"},
		{"raw", "{% raw %}{{ user }}{% endraw %}", "{{ user }}"},
		// Missing claims render nothing, also when read through.
		{"missing claim", "{{ user.missing }}", ""},
		{"null claim", "{{ user.nothing }}", ""},
		{"missing filtered", "{{ user.missing | lower }}", ""},
		// The filters upstream adds.
		{"split filter", "{{ 'foo, bar' | split(', ') | join(' | ') }}", "foo | bar"},
		{"split filter whitespace", "{{ '  a b\tc ' | split | join('/') }}", "a/b/c"},
		{"split filter maxsplits", "{{ 'a,b,c' | split(',', 1) | last }}", "b,c"},
		{"split filter keyword", "{{ 'a-b' | split(sep='-') | first }}", "a"},
		{"b64decode padded", "{{ 'cGFkZGluZw==' | b64decode }}", "padding"},
		{"b64decode unpadded", "{{ 'dW5wYWRkZWQ' | b64decode }}", "unpadded"},
		{"b64decode url alphabet", "{{ '-_8' | b64decode | b64encode }}", "+/8="},
		{"b64encode", "{{ 'padding' | b64encode }}", "cGFkZGluZw=="},
		{"tlvdecode", "{%- set tlv = 'Cg0wLTM4NS0yODA4OS0wEgRtb2Nr' | b64decode | tlvdecode -%}" +
			"{%- if tlv[18]|string != 'mock' -%}FAIL{%- endif -%}{{- tlv[10]|string -}}", "0-385-28089-0"},
		{"tlvdecode string key", "{{ ('Cg0wLTM4NS0yODA4OS0wEgRtb2Nr' | b64decode | tlvdecode)['18'] }}", "mock"},
		{"from_json", "{{ ('{\"roles\": [\"a\", \"b\"], \"n\": 2}' | from_json).roles | join(',') }}", "a,b"},
		{"from_json number", "{{ ('{\"n\": 2}' | from_json).n }}", "2"},
		{"string filter", "{{ user.id | string }}", "12345"},
		{"filters on missing input", "{{ user.missing | b64decode | split(',') }}", ""},
		{"tojson", "{{ user.address | tojson }}", `{"country":"UK"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := renderWith(t, tc.template, map[string]any{"user": user})
			if err != nil {
				t.Fatalf("render %q: %v", tc.template, err)
			}
			if got != tc.want {
				t.Errorf("render %q = %q, want %q", tc.template, got, tc.want)
			}
		})
	}
}

// Reading through a missing claim is no value, not a failure.
func TestTemplatesReadingThroughMissingClaims(t *testing.T) {
	user := normalize(testUser())
	for _, src := range []string{
		"{{ user.missing.foo }}",
		"{{ user.missing['foo'] }}",
		"{{ user.missing.foo | lower }}",
		"{{ user.missing.split('@')[0] }}",
		"{{ user.nothing.foo }}",
		"{% if user.missing.foo %}x{% endif %}",
	} {
		_, err := renderWith(t, src, map[string]any{"user": user})
		if !errors.Is(err, errNoValue) {
			t.Errorf("render %q: err = %v, want no value", src, err)
		}
	}
}

func TestTemplatesFailingToParse(t *testing.T) {
	for _, tc := range []struct{ template, want string }{
		{"{{ user.name ", "expected"},
		{"{{ foo( }}", ""},
		{"{% if user.x %}unterminated", ""},
		{"{{ user.name | frobnicate }}", `unknown filter "frobnicate"`},
		{"{{ user.name.frobnicate() }}", `unknown method "frobnicate"`},
		{"{% if user.x is frobnicated %}{% endif %}", `unknown test "frobnicated"`},
		{"{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "not available"},
		{"{% include 'other' %}", "not available"},
		{"{% import 'other' as o %}", "not available"},
		{"{% extends 'base' %}", "not available"},
		{"{% with a = 1 %}{{ a }}{% endwith %}", "not available"},
		{"{% filter upper %}x{% endfilter %}", "not available"},
		{"{% for x in user.groups recursive %}{{ loop(x) }}{% endfor %}", "recursive"},
		{"{{ __mas_op(1, 2, '+') }}", "reserved"},
		{strings.Repeat("x", MaxTemplateBytes+1), "longer than"},
	} {
		_, err := parseTemplate(tc.template)
		if err == nil {
			t.Errorf("parse %.40q: no error", tc.template)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parse %.40q: error %q does not mention %q", tc.template, err, tc.want)
		}
	}
}

func TestTemplatesFailingToRender(t *testing.T) {
	user := normalize(testUser())
	for _, src := range []string{
		"{{ 'not base64!' | b64decode }}",
		"{{ 'AQ' | b64decode | tlvdecode }}", // a tag without its length
		"{{ 'not json' | from_json }}",
		"{{ user.name | split('') }}",
		"{{ user.id % 0 }}",         // gonja panics; the panic is caught
		"{{ user.groups.upper() }}", // a string method on a list
	} {
		out, err := renderWith(t, src, map[string]any{"user": user})
		if err == nil || errors.Is(err, errNoValue) {
			t.Errorf("render %q = %q, %v; want an error", src, out, err)
		}
	}
}

// Pathological templates end with a limit error (or are refused when
// parsed) instead of looping or allocating without bound.
func TestTemplatesAreBounded(t *testing.T) {
	for _, src := range []string{
		"{{ 'x' * 10000000000 }}",
		"{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
		"{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
		"{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
		"{% for i in range(1000000000) %}{% endfor %}",
		"{% for i in range(100) %}{% for j in range(100) %}{% for k in range(100) %}{% endfor %}{% endfor %}{% endfor %}",
		"{% for i in range(10000) %}{{ 'x' * 1000 }}{% endfor %}",
		"{% for i in range(10000) %}{% set y = 'x' * 60000 %}{% endfor %}",
		"{% set x %}{% for i in range(10000) %}{{ 'y' * 1000 }}{% endfor %}{% endset %}",
		"{% set s = 'x' * 1000 %}{% set ns = namespace(l=[]) %}{% for i in range(5000) %}{% do ns.l.append(s) %}{% endfor %}{{ ns.l | join(',') }}",
		"{{ 'x' | center(1000000000) }}",
		"{{ '%999999999d' | format(1) }}",
		"{% set s = 'x' * 60000 %}{{ s.replace('', 'y' * 60000) }}",
		"{{ ('x' * 60000) | replace('x', 'yy') }}",
		"{{ ('a' * 60000) | indent(60000) }}",
		"{{ ('x' * 50000) | wordwrap(1, true, 'y' * 1000) }}",
		"{% set s = '\t' * 60000 %}{{ s.expandtabs(60000) }}",
		"{% set s = 'x' * 60000 %}{{ s.center(1000000000) }}",
		"{% set s = 'x' * 60000 %}{{ ','.join([s, s]) }}",
		// The guards reach operators wherever they sit.
		"{% if 'x' * 100000 %}y{% endif %}",
		"{% for c in 'x' * 100000 %}{% endfor %}",
		"{{ [1, 2] | batch(('x' * 100000) | length) }}",
		"{% set ns = namespace(d={}) %}{% do ns.d.update({'a': 'x' * 100000}) %}",
		"{% set x = 'x' * 100000 if true else 'b' %}",
		"{{ 'a' if false else 'y' * 100000 }}",
		"{{ {'k': ['x' * 100000]} }}",
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		out, err := renderWith(t, src, nil)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, errLimit) {
			t.Errorf("render %.60q = %.20q, %v; want a limit error", src, out, err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
			t.Errorf("render %.60q allocated %d MiB", src, grew>>20)
		}
	}
}

// A large but reasonable input stays within the limits.
func TestTemplatesHandleLargeInputs(t *testing.T) {
	groups := make([]any, 2000)
	for i := range groups {
		groups[i] = fmt.Sprintf("group-%04d", i)
	}
	out, err := renderWith(t, "{% for g in user.groups %}{% if g.endswith('7') %}{{ g }},{% endif %}{% endfor %}",
		map[string]any{"user": map[string]any{"groups": groups}})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out, ","); n != 200 {
		t.Errorf("got %d groups, want 200", n)
	}
}

// The invalid bytes a b64decode can produce are replaced, as upstream
// renders bytes.
func TestTemplatesRenderValidUTF8(t *testing.T) {
	out, err := renderWith(t, "{{ '/w' | b64decode }}", nil)
	if err != nil {
		t.Fatal(err)
	}
	if out != "\uFFFD" {
		t.Errorf("got %q", out)
	}
}

// One parsed template serves concurrent renderings (run with -race).
func TestTemplatesRenderConcurrently(t *testing.T) {
	tpl, err := parseTemplate("{% set ns = namespace(s='') %}{% for c in user.name %}{% set ns.s = ns.s ~ c %}{% endfor %}{{ ns.s | upper }}")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("user%d", i)
			for range 20 {
				got, err := tpl.render(map[string]any{"user": map[string]any{"name": name}})
				if err != nil || got != strings.ToUpper(name) {
					t.Errorf("render = %q, %v; want %q", got, err, strings.ToUpper(name))
					return
				}
			}
		}()
	}
	wg.Wait()
}

// Every filter and method name this package lists exists in gonja, so a
// gonja upgrade that renames one is noticed.
func TestGonjaHasTheListedFiltersAndMethods(t *testing.T) {
	for _, name := range builtinFilterNames {
		if _, ok := builtins.Filters.Get(name); !ok {
			t.Errorf("gonja lacks the %q filter", name)
		}
	}
	for _, set := range []struct {
		names []string
		has   func(string) bool
	}{
		{strMethodNames, func(n string) bool { _, ok := builtins.Methods.Str.Get(n); return ok }},
		{listMethodNames, func(n string) bool { _, ok := builtins.Methods.List.Get(n); return ok }},
		{dictMethodNames, func(n string) bool { _, ok := builtins.Methods.Dict.Get(n); return ok }},
		{intMethodNames, func(n string) bool { _, ok := builtins.Methods.Int.Get(n); return ok }},
		{floatMethodNames, func(n string) bool { _, ok := builtins.Methods.Float.Get(n); return ok }},
		{boolMethodNames, func(n string) bool { _, ok := builtins.Methods.Bool.Get(n); return ok }},
	} {
		for _, name := range set.names {
			if !set.has(name) {
				t.Errorf("gonja lacks the %q method", name)
			}
		}
	}
	for _, name := range globalNames {
		if _, ok := builtins.GlobalFunctions.Get(name); !ok {
			t.Errorf("gonja lacks the %q function", name)
		}
	}
}
