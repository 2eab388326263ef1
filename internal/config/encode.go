package config

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
)

// nodeEncoder is the Marshal counterpart of nodeDecoder.
type nodeEncoder interface {
	encodeNode() any
}

// Marshal renders the configuration as YAML that Load reads back to an
// equal Config. Sections and keys come out in upstream's order. A field
// tagged omitempty is left out when it equals its default, so a dump stays
// short but never loses a setting; every other field is always written.
func (c *Config) Marshal() ([]byte, error) {
	tree := encodeValue(reflect.ValueOf(c).Elem())
	return yaml.MarshalWithOptions(tree,
		yaml.Indent(2),
		yaml.IndentSequence(true),
		yaml.UseLiteralStyleIfMultiline(true),
		yaml.UseSingleQuote(true),
		yaml.WithComment(c.yamlComments()),
	)
}

func encodeValue(v reflect.Value) any {
	if v.Kind() != reflect.Pointer && v.Kind() != reflect.Interface {
		if enc, ok := v.Interface().(nodeEncoder); ok {
			return enc.encodeNode()
		}
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return encodeValue(v.Elem())
	case reflect.Struct:
		return encodeStruct(v)
	case reflect.Slice:
		out := make([]any, v.Len())
		for i := range v.Len() {
			out[i] = encodeValue(v.Index(i))
		}
		return out
	case reflect.Map:
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, fmt.Sprint(k.Interface()))
		}
		sort.Strings(keys)
		out := make(yaml.MapSlice, 0, len(keys))
		for _, k := range keys {
			out = append(out, yaml.MapItem{Key: k, Value: encodeValue(v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key())))})
		}
		return out
	case reflect.String:
		s := v.String()
		if strings.Contains(s, "\n") && !strings.HasSuffix(s, "\n\n") {
			// goccy writes these as literal blocks, which round-trip;
			// going through MarshalYAML would lose their indentation.
			return s
		}
		return yamlString(s)
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint()
	case reflect.Float32, reflect.Float64:
		return yamlFloat(v.Float())
	}
	return v.Interface()
}

func encodeStruct(v reflect.Value) yaml.MapSlice {
	info := fieldsOf(v.Type())
	def := defaultOf(v.Type())
	out := make(yaml.MapSlice, 0, len(info.list))
	for _, f := range info.list {
		fv := v.Field(f.index)
		if f.omitEmpty && reflect.DeepEqual(fv.Interface(), def.Field(f.index).Interface()) {
			continue
		}
		out = append(out, yaml.MapItem{Key: f.name, Value: encodeValue(fv)})
	}
	return out
}

// defaultOf returns the default value of a struct type: what setDefaults
// produces, or the zero value for types without defaults.
func defaultOf(t reflect.Type) reflect.Value {
	p := reflect.New(t)
	applyDefaults(p)
	return p.Elem()
}

// encodeFields renders the named fields of a struct, skipping those equal
// to their default. nodeEncoder implementations use it to write only the
// keys that belong to their variant.
func encodeFields(target any, names ...string) yaml.MapSlice {
	v := reflect.ValueOf(target)
	info := fieldsOf(v.Type())
	def := defaultOf(v.Type())
	out := make(yaml.MapSlice, 0, len(names))
	for _, name := range names {
		f := info.byName[name]
		fv := v.Field(f.index)
		if f.omitEmpty && reflect.DeepEqual(fv.Interface(), def.Field(f.index).Interface()) {
			continue
		}
		out = append(out, yaml.MapItem{Key: name, Value: encodeValue(fv)})
	}
	return out
}

// yamlFloat writes a float so that it reads back as the same float: goccy
// would write 1e-05, which YAML 1.1 readers (goccy included) take as a
// string.
type yamlFloat float64

func (f yamlFloat) MarshalYAML() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsInf(v, 1):
		return []byte(".inf"), nil
	case math.IsInf(v, -1):
		return []byte("-.inf"), nil
	case math.IsNaN(v):
		return []byte(".nan"), nil
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return []byte(s), nil
}

// yamlString writes a string so that it reads back unchanged. goccy's
// quoting misses a few cases (".inf", a lone tab, trailing blank lines); those are written as
// double-quoted strings, whose escapes are a superset of Go's.
type yamlString string

func (s yamlString) MarshalYAML() ([]byte, error) {
	if strings.Contains(string(s), "\n") {
		// Multi-line strings only get here with trailing blank lines, which
		// goccy's "|+" blocks do not keep when nested.
		return []byte(strconv.Quote(string(s))), nil
	}
	out, err := yaml.MarshalWithOptions(string(s), yaml.UseLiteralStyleIfMultiline(true), yaml.UseSingleQuote(true))
	if err == nil {
		var back any
		if yaml.Unmarshal(out, &back) == nil && back == string(s) {
			return out, nil
		}
	}
	return []byte(strconv.Quote(string(s))), nil
}
