package config

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
)

// EnvPrefix marks the environment variables that form the base of the
// configuration, as upstream's: MAS_DATABASE_URI is database.uri.
const EnvPrefix = "MAS_"

// envNotConfig are MAS_ variables that are not configuration keys: the
// CLI's own and this implementation's tuning knobs. They would otherwise
// show up as unknown keys (config, log.level, …).
var envNotConfig = []string{
	"MAS_CONFIG", "MAS_CONFIG_STRICT", "MAS_LOG_LEVEL", "MAS_LOG_FORMAT", "MAS_LOG_REQUESTS", "MAS_CACHE_DIR",
}

// envNotConfigPrefixes are prefixes of such variables.
var envNotConfigPrefixes = []string{"MAS_JOBS_", "MAS_TEST_"}

func isConfigVariable(name string) bool {
	if !strings.HasPrefix(name, EnvPrefix) || len(name) == len(EnvPrefix) {
		return false
	}
	for _, n := range envNotConfig {
		if name == n {
			return false
		}
	}
	for _, p := range envNotConfigPrefixes {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	return true
}

// envTree turns the MAS_ variables of environ ("NAME=value" pairs) into a
// configuration tree, as upstream's figment Env provider does: the prefix
// is dropped, the name lower-cased and split on '_' into nested keys, so
// MAS_DATABASE_URI sets database.uri. Keys that contain '_' themselves
// (public_base) cannot be reached this way; neither can list items. Values
// are read the way figment reads them: true/false, integers and floats are
// typed, a value in brackets or braces is a YAML flow list or mapping, and
// anything else is a string. Each value remembers its variable, which
// messages name.
func envTree(environ []string) (*node, Problems) {
	var probs Problems
	vars := map[string]string{}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if ok && isConfigVariable(name) {
			vars[name] = value
		}
	}
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names)

	var root *node
	for _, name := range names {
		path := strings.Split(strings.ToLower(strings.TrimPrefix(name, EnvPrefix)), "_")
		src := &source{name: "environment variable " + name}
		leaf, err := envValue(vars[name], src)
		if err != nil {
			probs = append(probs, Problem{File: src.name, Path: strings.Join(path, "."), Message: err.Error()})
			continue
		}
		if slices.Contains(path, "") {
			probs = append(probs, Problem{File: src.name, Message: "empty key segment (two '_' in a row, or a trailing '_')"})
			continue
		}
		for i := len(path) - 1; i >= 0; i-- {
			leaf = &node{kind: kindMap, keys: []string{path[i]}, children: map[string]*node{path[i]: leaf}, src: src}
		}
		root = mergeNodes(root, leaf)
	}
	return root, probs
}

// envValue parses one variable's value.
func envValue(v string, src *source) (*node, error) {
	t := strings.TrimSpace(v)
	switch {
	case t == "true" || t == "false":
		return &node{kind: kindScalar, value: t == "true", raw: v, src: src}, nil
	case strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{"):
		var parsed any
		if err := yaml.UnmarshalWithOptions([]byte(t), &parsed, yaml.UseOrderedMap()); err != nil {
			return nil, fmt.Errorf("the value starts like a list or mapping but does not parse: %s", firstLine(err.Error()))
		}
		return buildNode(parsed, src, nil), nil
	}
	if i, err := strconv.ParseInt(t, 10, 64); err == nil {
		return &node{kind: kindScalar, value: i, raw: v, src: src}, nil
	}
	if u, err := strconv.ParseUint(t, 10, 64); err == nil {
		return &node{kind: kindScalar, value: u, raw: v, src: src}, nil
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil && strings.ContainsAny(t, ".eE") {
		return &node{kind: kindScalar, value: f, raw: v, src: src}, nil
	}
	return &node{kind: kindScalar, value: v, src: src}, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
