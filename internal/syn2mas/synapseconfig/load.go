package synapseconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/goccy/go-yaml"
)

// ErrNoFiles is upstream's text for a run without --synapse-config.
var ErrNoFiles = errors.New("Please specify the path to the Synapse configuration file(s).") //nolint:staticcheck // upstream's exact text

// Load reads and merges Synapse configuration files, later files
// overriding earlier ones, and returns what the migration needs. Mappings
// are merged key by key at every depth and anything else (a list, a
// scalar) is replaced, as figment's merge does in upstream's syn2mas
// (Synapse itself only merges the top level). Every problem is reported at
// once, each naming the file the value came from.
func Load(files ...string) (*Config, error) {
	if len(files) == 0 {
		return nil, ErrNoFiles
	}
	t := &tree{root: map[string]any{}, origin: map[string]string{}, files: files}
	for _, f := range files {
		m, err := readFile(f)
		if err != nil {
			return nil, err
		}
		t.merge(t.root, m, "", f)
	}
	r := &reader{t: t}
	c := r.config()
	if err := errors.Join(r.errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// readFile parses one file; an empty file is an empty mapping.
func readFile(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot read the Synapse configuration file %s: %w", path, err)
	}
	var v any
	// Synapse (PyYAML) keeps the last of duplicated keys; so do we.
	if err := yaml.UnmarshalWithOptions(b, &v, yaml.AllowDuplicateMapKey()); err != nil {
		return nil, fmt.Errorf("the Synapse configuration file %s is not valid YAML:\n%w", path, err)
	}
	switch m := v.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return m, nil
	default:
		return nil, fmt.Errorf("the Synapse configuration file %s is not a YAML mapping of options (found %s)", path, describe(v))
	}
}

// tree is the merged configuration with, for every key path, the file
// that last set it.
type tree struct {
	root   map[string]any
	origin map[string]string
	files  []string
}

func (t *tree) merge(dst, src map[string]any, prefix, file string) {
	for k, v := range src {
		p := joinKey(prefix, k)
		t.origin[p] = file
		sm, srcIsMap := v.(map[string]any)
		dm, dstIsMap := dst[k].(map[string]any)
		if srcIsMap && dstIsMap {
			t.merge(dm, sm, p, file)
			continue
		}
		if srcIsMap {
			// A fresh copy, so that a later file merging into it does not
			// write through to this file's own tree; origins recorded below.
			dm = map[string]any{}
			t.merge(dm, sm, p, file)
			v = dm
		}
		dst[k] = v
	}
}

// where names the file a key path came from: the file that set the path
// or its nearest ancestor (list items come with their list).
func (t *tree) where(path string) string {
	for p := path; p != ""; p = parentKey(p) {
		if f, ok := t.origin[p]; ok {
			return f
		}
	}
	return strings.Join(t.files, ", ")
}

func joinKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func parentKey(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// describe names the YAML type of a value, for error messages.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case uint64, int64, int, uint, int32, uint32:
		return "an integer"
	case float64, float32:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	default:
		return fmt.Sprintf("%T", v)
	}
}
