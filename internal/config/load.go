package config

import (
	"os"
	"reflect"
	"strings"
)

// Source is one configuration document and the name used in messages.
type Source struct {
	Name string
	Data []byte
}

// Load reads the YAML files in order, merges them and decodes the result.
// Merging follows upstream: mappings merge key by key, later scalars win,
// and lists are concatenated (so `clients` or `upstream_oauth2.providers`
// may be split across files). Every unreadable file, YAML syntax error,
// unknown key and type mismatch is reported, each with its file, line and
// path, in a Problems error. Load does not run Validate.
func Load(paths []string) (*Config, error) {
	sources := make([]Source, 0, len(paths))
	var probs Problems
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			probs = append(probs, Problem{File: p, Message: "cannot read configuration file: " + unwrapPathError(err).Error()})
			continue
		}
		sources = append(sources, Source{Name: p, Data: data})
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return LoadSources(sources...)
}

// LoadBytes decodes a single document; name appears in messages.
func LoadBytes(name string, data []byte) (*Config, error) {
	return LoadSources(Source{Name: name, Data: data})
}

// LoadSources is Load for documents already in memory.
func LoadSources(sources ...Source) (*Config, error) {
	var probs Problems
	var merged *node
	for _, s := range sources {
		root, p := parseSource(s.Name, s.Data)
		probs = append(probs, p...)
		if root != nil {
			merged = mergeNodes(merged, root)
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	cfg := Default()
	if merged != nil {
		d := &decoder{}
		d.decode(merged, "", reflect.ValueOf(cfg).Elem())
		if len(d.probs) > 0 {
			return nil, d.probs
		}
	}
	return cfg, nil
}

// ConfigPaths picks the configuration files like upstream's CLI: the
// --config flags when given, else the colon-separated MAS_CONFIG
// environment variable, else config.yaml.
func ConfigPaths(flags []string, getenv func(string) string) []string {
	if len(flags) > 0 {
		return flags
	}
	if env := getenv("MAS_CONFIG"); env != "" {
		return strings.Split(env, ":")
	}
	return []string{"config.yaml"}
}
