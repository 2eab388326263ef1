package config

import (
	"errors"
	"io/fs"
	"os"
	"reflect"
	"strings"
)

// Source is one configuration document and the name used in messages.
type Source struct {
	Name string
	Data []byte
}

// LoadOptions say where a configuration comes from.
type LoadOptions struct {
	// Paths are the files, merged in order over the environment. A file
	// that does not exist reads as empty, as upstream's loader has it; it
	// is listed in Loaded.Missing so that callers can say so.
	Paths []string
	// Environ is the process environment as "NAME=value" pairs; its MAS_
	// variables are the base the files are merged over (see envTree).
	Environ []string
	// Strict turns what upstream ignores (unknown keys, keys a bind or a
	// resource does not use, old keys with no meaning today) into errors.
	Strict bool
}

// Loaded is a decoded configuration and what loading noticed.
type Loaded struct {
	*Config
	// Warnings are what upstream accepts without a word and this
	// implementation reports: unknown keys (with a suggestion when one is
	// close) and keys that have no effect.
	Warnings Problems
	// Notices are keys of older upstream releases that are honoured.
	Notices Problems
	// Missing are the files of Paths that did not exist.
	Missing []string
}

// LoadWith reads the configuration the way upstream's mas-cli does: the
// MAS_ environment variables form the base, then each file is merged over
// it in order. Merging follows upstream's figment "admerge": mappings merge
// key by key, later scalars win, and lists are concatenated (so `clients`
// or `upstream_oauth2.providers` may be split across files). Every
// unreadable file, YAML syntax error, unparsable variable and type
// mismatch is reported at once, each with its file (or variable), line and
// path, in a Problems error. LoadWith does not run Validate.
func LoadWith(opts LoadOptions) (*Loaded, error) {
	var probs Problems
	var missing []string
	sources := make([]Source, 0, len(opts.Paths))
	for _, p := range opts.Paths {
		data, err := os.ReadFile(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			missing = append(missing, p)
		case err != nil:
			probs = append(probs, Problem{File: p, Message: "cannot read configuration file: " + unwrapPathError(err).Error()})
		default:
			sources = append(sources, Source{Name: p, Data: data})
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	l, err := LoadSourcesWith(opts, sources...)
	if err != nil {
		return nil, err
	}
	l.Missing = missing
	return l, nil
}

// LoadSourcesWith is LoadWith for documents already in memory; opts.Paths
// is not read.
func LoadSourcesWith(opts LoadOptions, sources ...Source) (*Loaded, error) {
	merged, probs := envTree(opts.Environ)
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
	d := &decoder{strict: opts.Strict}
	if merged != nil {
		d.decode(merged, "", reflect.ValueOf(cfg).Elem())
		if len(d.probs) > 0 {
			return nil, d.probs
		}
	}
	return &Loaded{Config: cfg, Warnings: d.warnings, Notices: d.notices}, nil
}

// Load reads files without the environment, reporting only errors; for
// tests and tools that do not need warnings.
func Load(paths []string) (*Config, error) {
	l, err := LoadWith(LoadOptions{Paths: paths})
	if err != nil {
		return nil, err
	}
	return l.Config, nil
}

// LoadSources is Load for documents already in memory.
func LoadSources(sources ...Source) (*Config, error) {
	l, err := LoadSourcesWith(LoadOptions{}, sources...)
	if err != nil {
		return nil, err
	}
	return l.Config, nil
}

// LoadBytes decodes a single document; name appears in messages.
func LoadBytes(name string, data []byte) (*Config, error) {
	return LoadSources(Source{Name: name, Data: data})
}

// ConfigPaths picks the configuration files like upstream's CLI: the
// --config flags when given, else the colon-separated MAS_CONFIG
// environment variable, else config.yaml.
func ConfigPaths(flags []string, getenv func(string) string) []string {
	if len(flags) > 0 {
		return flags
	}
	if env := getenv("MAS_CONFIG"); env != "" {
		var out []string
		for _, p := range strings.Split(env, ":") {
			if p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	return []string{"config.yaml"}
}
