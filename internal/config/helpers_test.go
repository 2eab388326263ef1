package config

import (
	"errors"
	"strings"
	"testing"
)

// minimal is the smallest configuration that validates.
const minimal = `
secrets:
  encryption: 0000111122223333444455556666777788889999aaaabbbbccccddddeeeeffff
matrix:
  secret: test-secret
`

func mustLoad(t *testing.T, yaml string) *Config {
	t.Helper()
	c, err := LoadBytes("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("LoadBytes: %v", err)
	}
	return c
}

// problemsOf returns the problems in err, failing when err is something
// else.
func problemsOf(t *testing.T, err error) Problems {
	t.Helper()
	if err == nil {
		return nil
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error is %T, want Problems: %v", err, err)
	}
	return ps
}

// wantProblem fails unless some problem has the path and a message
// containing want.
func wantProblem(t *testing.T, err error, path, want string) {
	t.Helper()
	for _, p := range problemsOf(t, err) {
		if p.Path == path && strings.Contains(p.Message, want) {
			return
		}
	}
	t.Errorf("no problem at %q containing %q; got:\n%v", path, want, err)
}

// validateYAML loads minimal plus extra and validates.
func validateYAML(t *testing.T, extra string) error {
	t.Helper()
	c, err := LoadSources(Source{Name: "minimal.yaml", Data: []byte(minimal)}, Source{Name: "extra.yaml", Data: []byte(extra)})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return c.Validate()
}
