package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadMergesFiles(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "base.yaml")
	second := filepath.Join(dir, "override.yaml")
	writeFile(t, first, `
secrets:
  encryption: 0000111122223333444455556666777788889999aaaabbbbccccddddeeeeffff
http:
  public_base: https://auth.example.com/
  listeners:
    - name: web
      resources: [{name: human}]
      binds: [{address: "[::]:8080"}]
clients:
  - client_id: 01GFWR28C4KNE04WG3HKXB7C9R
    client_auth_method: none
matrix:
  homeserver: example.com
  endpoint: http://synapse:8008/
  secret: test-secret
`)
	writeFile(t, second, `
http:
  issuer: https://example.com/
clients:
  - client_id: 01GFWR32NCQ12B8Z0J8CPXRRB6
    client_auth_method: none
matrix:
  homeserver: example.org
database:
  uri: sqlite:mas.db
`)
	c, err := Load([]string{first, second})
	if err != nil {
		t.Fatal(err)
	}
	// Mappings merge key by key; later scalars win.
	if c.HTTP.PublicBase != "https://auth.example.com/" || c.HTTP.Issuer != "https://example.com/" {
		t.Errorf("http = %+v", c.HTTP)
	}
	if c.Matrix.Homeserver != "example.org" || c.Matrix.Endpoint != "http://synapse:8008/" || c.Matrix.Secret != "test-secret" {
		t.Errorf("matrix = %+v", c.Matrix)
	}
	if len(c.HTTP.Listeners) != 1 {
		t.Errorf("listeners = %+v", c.HTTP.Listeners)
	}
	// Lists are concatenated, as upstream's figment admerge does.
	if len(c.Clients) != 2 || c.Clients[0].ClientID != "01GFWR28C4KNE04WG3HKXB7C9R" || c.Clients[1].ClientID != "01GFWR32NCQ12B8Z0J8CPXRRB6" {
		t.Errorf("clients = %+v", c.Clients)
	}
	if c.Database.Backend() != BackendSQLite {
		t.Errorf("backend = %s", c.Database.Backend())
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestMergeReportsTheRightFile(t *testing.T) {
	sources := []Source{
		{Name: "a.yaml", Data: []byte("clients:\n  - client_id: 01GFWR28C4KNE04WG3HKXB7C9R\n    client_auth_method: none\n")},
		{Name: "b.yaml", Data: []byte("\n\nclients:\n  - client_id: 01GFWR32NCQ12B8Z0J8CPXRRB6\n    client_auth_methd: none\n")},
	}
	// Leniently, the misspelt key is a warning and its absence the error.
	l, err := LoadSourcesWith(LoadOptions{}, sources...)
	ps := problemsOf(t, err)
	if len(ps) != 1 || ps[0].Path != "clients[1].client_auth_method" || ps[0].File != "b.yaml" || ps[0].Line != 4 {
		t.Fatalf("want the missing key in b.yaml:4, got:\n%v", err)
	}
	_ = l
	// Strictly, both are errors.
	_, err = LoadSourcesWith(LoadOptions{Strict: true}, sources...)
	ps = problemsOf(t, err)
	if len(ps) != 2 {
		t.Fatalf("want 2 problems (unknown key, missing key), got:\n%v", err)
	}
	want := Problem{Path: "clients[1].client_auth_methd", File: "b.yaml", Line: 5, Message: `unknown key (did you mean "client_auth_method"?)`}
	if ps[0] != want {
		t.Errorf("got  %#v\nwant %#v", ps[0], want)
	}
}

func TestUnknownKeysAllReported(t *testing.T) {
	input := minimal + `
bogus_section: 1
http:
  public_base: https://auth.example.com/
  listenerz: []
  listeners:
    - name: web
      resourcez: []
      resources:
        - name: graphql
          playgroundd: true
        - name: human
          path: /nope
      binds:
        - address: "[::]:8080"
          hots: x
      tls:
        certificate: x
        key: y
        passphrase: z
upstream_oauth2:
  providers:
    - id: 01HFVBY12TMNTYTBV8W921M5FA
      client_id: x
      token_endpoint_auth_method: none
      claims_imports:
        localpart:
          acton: force
experimental:
  session_limit:
    soft_limit: 1
    hard_limit: 1
    extra: true
`
	wantPaths := map[string]int{
		"bogus_section":                                               7,
		"http.listenerz":                                              10,
		"http.listeners[0].resourcez":                                 13,
		"http.listeners[0].resources[0].playgroundd":                  16,
		"http.listeners[0].resources[1].path":                         18,
		"http.listeners[0].binds[0].hots":                             21,
		"http.listeners[0].tls.passphrase":                            25,
		"upstream_oauth2.providers[0].claims_imports.localpart.acton": 33,
		"experimental.session_limit.extra":                            38,
	}
	check := func(t *testing.T, ps Problems, suffix string) {
		t.Helper()
		got := map[string]Problem{}
		for _, p := range ps {
			got[p.Path] = p
		}
		for path, line := range wantPaths {
			p, ok := got[path]
			switch {
			case !ok:
				t.Errorf("no problem for %s", path)
			case !strings.HasPrefix(p.Message, "unknown key") || !strings.HasSuffix(p.Message, suffix):
				t.Errorf("%s: message %q", path, p.Message)
			case p.File != "config.yaml" || p.Line != line:
				t.Errorf("%s: at %s:%d, want line %d", path, p.File, p.Line, line)
			}
		}
		if len(ps) != len(wantPaths) {
			t.Errorf("got %d problems, want %d:\n%v", len(ps), len(wantPaths), ps)
		}
		if !strings.Contains(ps.Error(), "config.yaml:13: http.listeners[0].resourcez: unknown key (did you mean \"resources\"?)"+suffix) {
			t.Errorf("text:\n%v", ps)
		}
		if got["http.listeners[0].resources[1].path"].Message != "unknown key (not an option of the human resource)"+suffix {
			t.Errorf("resource option message: %q", got["http.listeners[0].resources[1].path"].Message)
		}
	}
	// As upstream, unknown keys do not stop the service: each is a
	// warning, with its place and a suggestion.
	t.Run("lenient", func(t *testing.T) {
		l, err := LoadSourcesWith(LoadOptions{}, Source{Name: "config.yaml", Data: []byte(input)})
		if err != nil {
			t.Fatal(err)
		}
		check(t, l.Warnings, "; ignored")
	})
	t.Run("strict", func(t *testing.T) {
		_, err := LoadSourcesWith(LoadOptions{Strict: true}, Source{Name: "config.yaml", Data: []byte(input)})
		check(t, problemsOf(t, err), "")
	})
}

func TestTypeErrorsAllReported(t *testing.T) {
	input := `
http:
  public_base: 42
  listeners:
    - name: web
      proxy_protocol: "yes"
      resources: {name: human}
      binds:
        - host: localhost
          port: 70000
        - socket: /tmp/s
          mode: 600
database:
  max_connections: -1
  connect_timeout: 1.5
passwords:
  enabled: true
  schemes:
    - version: one
      algorithm: sha1
rate_limiting:
  login:
    per_ip:
      burst: 3
      per_second: fast
matrix:
  kind: dendrite
account: [1, 2]
clients: {}
`
	_, err := LoadBytes("config.yaml", []byte(input))
	tests := []struct{ path, msg string }{
		{"http.public_base", "expected a string, found an integer (42)"},
		{"http.listeners[0].proxy_protocol", `expected a boolean (true or false), found a string ("yes")`},
		{"http.listeners[0].resources", "expected a sequence, found a mapping"},
		{"http.listeners[0].binds[0].port", "out of range: must be between 0 and 65535 (found 70000)"},
		{"http.listeners[0].binds[1].mode", "expected a string, found an integer (600); quote the value"},
		{"database.max_connections", "must not be negative (found -1)"},
		{"database.connect_timeout", "expected an integer, found a floating-point number (1.5)"},
		{"passwords.schemes[0].version", `expected an integer, found a string ("one")`},
		{"passwords.schemes[0].algorithm", `unknown value "sha1", expected one of: bcrypt, argon2id, pbkdf2`},
		{"rate_limiting.login.per_ip.per_second", `expected a number, found a string ("fast")`},
		{"matrix.kind", `unknown value "dendrite"`},
		{"account", "expected a mapping, found a sequence"},
		{"clients", "expected a sequence, found a mapping"},
	}
	for _, tt := range tests {
		wantProblem(t, err, tt.path, tt.msg)
	}
	if ps := problemsOf(t, err); len(ps) != len(tests) {
		t.Errorf("got %d problems, want %d:\n%v", len(ps), len(tests), err)
	}
	for _, p := range problemsOf(t, err) {
		if p.File != "config.yaml" || p.Line == 0 {
			t.Errorf("%s: missing location (%s:%d)", p.Path, p.File, p.Line)
		}
	}
}

func TestMalformedYAML(t *testing.T) {
	tests := []struct {
		name, input string
		line        int
		msg         string
	}{
		{"unclosed flow", "http:\n  trusted_proxies: [a, b\n", 2, "invalid YAML"},
		{"tab indent", "matrix:\n\tsecret: x\n", 2, "invalid YAML"},
		{"duplicate key", "matrix:\n  secret: a\n  secret: b\n", 3, "already defined"},
		{"top-level list", "- a\n- b\n", 1, "top level must be a mapping"},
		{"top-level scalar", "hello\n", 1, "top level must be a mapping"},
		{"two documents", "matrix: {}\n---\nhttp: {}\n", 0, "multiple YAML documents"},
		{"alias bomb", aliasBomb(), 0, "too large once its aliases are expanded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadBytes("bad.yaml", []byte(tt.input))
			ps := problemsOf(t, err)
			if len(ps) != 1 {
				t.Fatalf("want one problem, got %v", err)
			}
			if ps[0].File != "bad.yaml" || ps[0].Line != tt.line || !strings.Contains(ps[0].Message, tt.msg) {
				t.Errorf("got %#v", ps[0])
			}
		})
	}
}

func TestLoadEmptyAndMissing(t *testing.T) {
	c, err := LoadBytes("empty.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Matrix.Homeserver != "localhost:8008" {
		t.Errorf("empty file should give defaults")
	}
	wantProblem(t, c.Validate(), "secrets", "required section is missing")
	wantProblem(t, c.Validate(), "matrix", "Missing `secret` or `secret_file`")

	// A file that does not exist reads as empty, as upstream's figment has
	// it; the caller learns which, to warn about them.
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	l, err := LoadWith(LoadOptions{Paths: []string{a, b}})
	if err != nil || !slices.Equal(l.Missing, []string{a, b}) || l.Matrix.Homeserver != "localhost:8008" {
		t.Errorf("missing files: %v, %+v", err, l)
	}
	// One that cannot be read is still an error.
	if err := os.Mkdir(filepath.Join(dir, "c.yaml"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err = Load([]string{filepath.Join(dir, "c.yaml")})
	wantProblem(t, err, "", "cannot read configuration file")
}

func TestBindForms(t *testing.T) {
	c := mustLoad(t, minimal+`
http:
  public_base: https://a.example/
  listeners:
    - resources: [{name: health}]
      binds:
        - address: 127.0.0.1:1
        - host: ::1
          port: 2
        - port: 3
        - socket: /run/mas.sock
          mode: "660"
        - fd: 4
          kind: unix
        - {}
`)
	binds := c.HTTP.Listeners[0].Binds
	tests := []struct {
		form BindForm
		addr string
		kind UnixOrTCP
	}{
		{BindAddress, "127.0.0.1:1", "tcp"},
		{BindHostPort, "[::1]:2", "tcp"},
		{BindHostPort, ":3", "tcp"},
		{BindUnix, "", "tcp"},
		{BindFD, "", "unix"},
		{BindFD, "", "tcp"},
	}
	for i, tt := range tests {
		b := binds[i]
		if b.Form() != tt.form || b.ListenAddress() != tt.addr || b.SocketKind() != tt.kind {
			t.Errorf("bind %d: form %v addr %q kind %q", i, b.Form(), b.ListenAddress(), b.SocketKind())
		}
	}
	if binds[4].FD != 4 || binds[3].Mode != "660" {
		t.Errorf("binds = %+v", binds)
	}

	// Keys of several forms: the first form upstream tries wins (host+port,
	// address, socket, fd) and the others are reported as ignored.
	mixed := []byte(minimal + `
http:
  public_base: https://a.example/
  listeners:
    - resources: [{name: health}]
      binds:
        - address: 127.0.0.1:1
          port: 2
          host: 127.0.0.2
        - socket: /s
          fd: 3
        - mode: "600"
`)
	l, err := LoadSourcesWith(LoadOptions{}, Source{Name: "test.yaml", Data: mixed})
	if err != nil {
		t.Fatal(err)
	}
	binds = l.HTTP.Listeners[0].Binds
	if binds[0].Form() != BindHostPort || binds[0].ListenAddress() != "127.0.0.2:2" || binds[0].Address != "" {
		t.Errorf("address with host and port = %+v, want host and port", binds[0])
	}
	if binds[1].Form() != BindUnix || binds[1].FD != 0 || binds[2].Form() != BindFD || binds[2].Mode != "" {
		t.Errorf("binds = %+v", binds)
	}
	wantProblem(t, l.Warnings, "http.listeners[0].binds[0].address", "not used by a bind with `port`")
	wantProblem(t, l.Warnings, "http.listeners[0].binds[1].fd", "not used by a bind with `socket`")
	wantProblem(t, l.Warnings, "http.listeners[0].binds[2].mode", "not used by a bind with `fd`")
	_, err = LoadSourcesWith(LoadOptions{Strict: true}, Source{Name: "test.yaml", Data: mixed})
	wantProblem(t, err, "http.listeners[0].binds[0].address", "not used by a bind with `port`")

	_, err = LoadBytes("test.yaml", []byte(minimal+`
http:
  public_base: https://a.example/
  listeners:
    - resources: [{name: health}]
      binds:
        - host: localhost
`))
	wantProblem(t, err, "http.listeners[0].binds[0].port", "missing required key")
}

func TestResources(t *testing.T) {
	_, err := LoadBytes("test.yaml", []byte(minimal+`
http:
  public_base: https://a.example/
  listeners:
    - binds: [{port: 1}]
      resources:
        - name: graphgl
        - path: x
        - human
`))
	wantProblem(t, err, "http.listeners[0].resources[0].name", `unknown value "graphgl"`)
	wantProblem(t, err, "http.listeners[0].resources[1].name", "missing required key")
	wantProblem(t, err, "http.listeners[0].resources[2]", "expected a mapping with a `name` key")
}

func TestConfigPaths(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "MAS_CONFIG" {
				return v
			}
			return ""
		}
	}
	if got := ConfigPaths([]string{"x.yaml"}, env("a:b")); strings.Join(got, ",") != "x.yaml" {
		t.Errorf("flags: %v", got)
	}
	if got := ConfigPaths(nil, env("a.yaml:b.yaml")); strings.Join(got, ",") != "a.yaml,b.yaml" {
		t.Errorf("env: %v", got)
	}
	if got := ConfigPaths(nil, env("")); strings.Join(got, ",") != "config.yaml" {
		t.Errorf("default: %v", got)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// aliasBomb nests aliases so that the expanded document has 9^7 nodes.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 7; i++ {
		prev := fmt.Sprintf("*a%d", i-1)
		fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(prev+", ", 9), ", "))
	}
	return b.String()
}
