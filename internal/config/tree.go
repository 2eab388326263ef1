package config

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// The loader works on a small generic tree rather than decoding YAML straight
// into the Config struct. The tree lets us merge several files the way
// upstream does, remember which file every value came from, and then decode
// with a walker that reports every unknown key and type mismatch instead of
// stopping at the first.

type nodeKind int

const (
	kindNull nodeKind = iota
	kindScalar
	kindMap
	kindSeq
)

type node struct {
	kind nodeKind
	// value holds a scalar: string, bool, int64, uint64 or float64.
	value any
	// raw is the text an environment variable's scalar was typed from, so
	// that a string setting keeps "0700" or "12345" as written.
	raw      string
	keys     []string // mapping keys in document order
	children map[string]*node
	items    []*node

	src *source
	// at is the node's location inside src. It differs from the node's place
	// in the merged tree when sequences from several files are concatenated.
	at []any
}

// source is one parsed input document.
type source struct {
	name string
	data []byte
	file *ast.File // parsed lazily, only to turn a path into a line number
}

// parseSource parses one YAML document into a tree. An empty document yields
// an empty mapping, so a blank file is a valid (empty) configuration.
func parseSource(name string, data []byte) (*node, Problems) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, Problems{yamlProblem(name, err)}
	}
	if len(f.Docs) > 1 {
		return nil, Problems{{File: name, Message: "multiple YAML documents in one file are not supported"}}
	}
	for _, doc := range f.Docs {
		if expandedSize(doc, map[string]int{}) > maxExpandedNodes {
			return nil, Problems{{File: name, Message: "the document is too large once its aliases are expanded"}}
		}
	}
	src := &source{name: name, data: data, file: f}
	var v any
	if err := yaml.UnmarshalWithOptions(data, &v, yaml.UseOrderedMap()); err != nil {
		return nil, Problems{yamlProblem(name, err)}
	}
	root := buildNode(v, src, nil)
	switch root.kind {
	case kindNull:
		return &node{kind: kindMap, children: map[string]*node{}, src: src}, nil
	case kindMap:
		return root, nil
	default:
		return nil, Problems{{File: name, Line: 1, Message: fmt.Sprintf("the top level must be a mapping of sections, found %s", root.describe())}}
	}
}

// maxExpandedNodes bounds a document's size after alias expansion, so that a
// few nested aliases ("billion laughs") cannot exhaust memory or time.
const maxExpandedNodes = 1 << 20

// expandedSize counts the nodes of n with every alias replaced by its
// anchor's content, saturating just above maxExpandedNodes.
func expandedSize(n ast.Node, anchors map[string]int) int {
	add := func(a, b int) int { return min(a+b, maxExpandedNodes+1) }
	switch t := n.(type) {
	case nil:
		return 0
	case *ast.DocumentNode:
		return expandedSize(t.Body, anchors)
	case *ast.MappingNode:
		size := 1
		for _, v := range t.Values {
			size = add(size, expandedSize(v, anchors))
		}
		return size
	case *ast.MappingValueNode:
		return add(expandedSize(t.Key, anchors), expandedSize(t.Value, anchors))
	case *ast.MappingKeyNode:
		return expandedSize(t.Value, anchors)
	case *ast.SequenceNode:
		size := 1
		for _, v := range t.Values {
			size = add(size, expandedSize(v, anchors))
		}
		return size
	case *ast.TagNode:
		return add(1, expandedSize(t.Value, anchors))
	case *ast.AnchorNode:
		size := expandedSize(t.Value, anchors)
		if t.Name != nil {
			anchors[t.Name.String()] = size
		}
		return size
	case *ast.AliasNode:
		if t.Value != nil {
			if size, ok := anchors[t.Value.String()]; ok {
				return size
			}
		}
		return 1
	}
	return 1
}

func yamlProblem(name string, err error) Problem {
	p := Problem{File: name, Message: "invalid YAML: " + err.Error()}
	var ye yaml.Error
	if errors.As(err, &ye) {
		p.Message = "invalid YAML: " + ye.GetMessage()
		if tok := ye.GetToken(); tok != nil && tok.Position != nil {
			p.Line = tok.Position.Line
		}
	}
	return p
}

func buildNode(v any, src *source, at []any) *node {
	n := &node{src: src, at: at}
	switch t := v.(type) {
	case nil:
		n.kind = kindNull
	case yaml.MapSlice:
		n.kind = kindMap
		n.children = make(map[string]*node, len(t))
		for _, item := range t {
			key := fmt.Sprint(item.Key)
			if _, dup := n.children[key]; !dup {
				n.keys = append(n.keys, key)
			}
			n.children[key] = buildNode(item.Value, src, appendPath(at, key))
		}
	case map[string]any:
		// Not produced with UseOrderedMap, but handled for robustness.
		n.kind = kindMap
		n.children = make(map[string]*node, len(t))
		for k := range t {
			n.keys = append(n.keys, k)
		}
		sort.Strings(n.keys)
		for _, k := range n.keys {
			n.children[k] = buildNode(t[k], src, appendPath(at, k))
		}
	case []any:
		n.kind = kindSeq
		for i, item := range t {
			n.items = append(n.items, buildNode(item, src, appendPath(at, i)))
		}
	case int:
		n.kind, n.value = kindScalar, int64(t)
	case int64, uint64, float64, bool, string:
		n.kind, n.value = kindScalar, t
	case float32:
		n.kind, n.value = kindScalar, float64(t)
	case uint:
		n.kind, n.value = kindScalar, uint64(t)
	default:
		// Timestamps and other exotic scalars are kept as their text.
		n.kind, n.value = kindScalar, fmt.Sprint(t)
	}
	return n
}

func appendPath(at []any, elem any) []any {
	out := make([]any, len(at), len(at)+1)
	copy(out, at)
	return append(out, elem)
}

// describe names the node's YAML type for error messages.
func (n *node) describe() string {
	switch n.kind {
	case kindNull:
		return "null"
	case kindMap:
		return "a mapping"
	case kindSeq:
		return "a sequence"
	}
	switch v := n.value.(type) {
	case string:
		return fmt.Sprintf("a string (%q)", truncate(v, 40))
	case bool:
		return fmt.Sprintf("a boolean (%t)", v)
	case int64:
		return fmt.Sprintf("an integer (%d)", v)
	case uint64:
		return fmt.Sprintf("an integer (%d)", v)
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return fmt.Sprintf("a number (%v)", v)
		}
		return fmt.Sprintf("a floating-point number (%v)", v)
	}
	return "a scalar"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// line returns the line the node starts on in its source, or 0 when it
// cannot be found (for example for values pulled in through a merge key).
func (n *node) line() int {
	if n == nil || n.src == nil || n.src.file == nil || len(n.src.file.Docs) == 0 {
		return 0
	}
	return lineOf(n.src.file.Docs[0].Body, n.at)
}

func lineOf(cur ast.Node, at []any) int {
	line := 0
	if cur != nil && cur.GetToken() != nil && cur.GetToken().Position != nil {
		line = cur.GetToken().Position.Line
	}
	for _, elem := range at {
		cur = unwrap(cur)
		var next ast.Node
		switch key := elem.(type) {
		case string:
			m, ok := cur.(*ast.MappingNode)
			if !ok {
				return line
			}
			for _, mv := range m.Values {
				if mv.Key != nil && keyText(mv.Key) == key {
					if tok := mv.Key.GetToken(); tok != nil && tok.Position != nil {
						line = tok.Position.Line
					}
					next = mv.Value
					break
				}
			}
		case int:
			s, ok := cur.(*ast.SequenceNode)
			if !ok || key >= len(s.Values) {
				return line
			}
			next = s.Values[key]
			if tok := unwrap(next).GetToken(); tok != nil && tok.Position != nil {
				line = tok.Position.Line
			}
		}
		if next == nil {
			return line
		}
		cur = next
	}
	return line
}

// unwrap looks through anchors and tags to the node that carries content.
func unwrap(n ast.Node) ast.Node {
	for {
		switch t := n.(type) {
		case *ast.AnchorNode:
			n = t.Value
		case *ast.TagNode:
			n = t.Value
		default:
			return n
		}
	}
}

func keyText(k ast.MapKeyNode) string {
	switch t := unwrap(k).(type) {
	case *ast.StringNode:
		return t.Value
	case nil:
		return ""
	default:
		return t.String()
	}
}

// mergeNodes combines two trees the way upstream's figment "admerge" does:
// mappings are merged key by key, sequences are concatenated, and any other
// pair is resolved in favour of the later value.
func mergeNodes(a, b *node) *node {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.kind == kindMap && b.kind == kindMap:
		out := &node{kind: kindMap, children: make(map[string]*node, len(a.keys)+len(b.keys)), src: a.src, at: a.at}
		for _, k := range a.keys {
			out.keys = append(out.keys, k)
			out.children[k] = a.children[k]
		}
		for _, k := range b.keys {
			if prev, ok := out.children[k]; ok {
				out.children[k] = mergeNodes(prev, b.children[k])
				continue
			}
			out.keys = append(out.keys, k)
			out.children[k] = b.children[k]
		}
		return out
	case a.kind == kindSeq && b.kind == kindSeq:
		out := &node{kind: kindSeq, src: b.src, at: b.at}
		out.items = append(append(out.items, a.items...), b.items...)
		return out
	default:
		return b
	}
}

// without is a copy of the mapping n without the given keys.
func (n *node) without(keys ...string) *node {
	out := *n
	out.keys = nil
	out.children = make(map[string]*node, len(n.children))
	for _, k := range n.keys {
		if !slices.Contains(keys, k) {
			out.keys = append(out.keys, k)
			out.children[k] = n.children[k]
		}
	}
	return &out
}

// toAny converts a subtree to plain Go values, for free-form settings such
// as policy data and JSON Web Keys.
func (n *node) toAny() any {
	switch n.kind {
	case kindMap:
		m := make(map[string]any, len(n.keys))
		for _, k := range n.keys {
			m[k] = n.children[k].toAny()
		}
		return m
	case kindSeq:
		s := make([]any, len(n.items))
		for i, item := range n.items {
			s[i] = item.toAny()
		}
		return s
	case kindScalar:
		return n.value
	}
	return nil
}
