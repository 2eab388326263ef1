// Package layering holds the test that keeps package dependencies pointing
// one way: domain ← store ← the protocol, web and jobs packages ← app ←
// cli. httpserver sits low, beside login and pages: it knows nothing of
// the protocols, because app builds the handlers and hands them in.
package layering

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "mas"

// rank orders the packages: a package may only import packages of a
// strictly lower rank. A new package must be given a rank here, which
// forces a conscious decision about where it sits.
var rank = map[string]int{
	"internal/domain":      0,
	"internal/clock":       0,
	"internal/tokens":      0,
	"internal/encrypt":     0,
	"internal/keys":        0,
	"internal/requestctx":  0,
	"internal/routes":      0,
	"internal/i18n":        0,
	"internal/strength":    0, // zxcvbn password-strength estimator
	"internal/layering":    0,
	"internal/browsertest": 0, // test support: the browser the page tests drive
	"internal/logtest":     0, // test support: captured log lines
	"internal/chrometest":  0, // test support: a real headless Chromium
	"internal/proctest":    0, // test support: mas-cli as child processes
	"internal/config":      1,
	"internal/templates":   1,
	"internal/store":       1,
	"internal/homeserver":  1,
	"internal/email":       1, // mail transports; templates are the caller's
	"internal/passwords":   1,
	"internal/policy":      1,
	"internal/ratelimit":   1,
	"internal/captcha":     1, // the captcha services' verification, for registration
	"internal/doctor":      1,
	"internal/login":       2, // the rules every way of logging in shares
	"internal/pages":       2, // rendering and forms of every HTML page
	"internal/httpserver":  2, // listeners and middleware; handlers come from app
	"internal/tokencache":  2, // the introspection cache, following the store's invalidation feed
	"internal/activity":    2, // batched last-activity writes
	"internal/session":     3,
	"internal/syn2mas":     2, // the Synapse migration: checks, mapping, progress; sources and config below it
	"internal/jobs":        4,
	"internal/oauth":       4,
	"internal/compat":      4,
	"internal/web":         4,
	"internal/adminapi":    4, // the Admin REST API
	"internal/testdb":      4, // test support: opens either backend
	"internal/app":         5,
	"internal/cli":         6,
	"internal/testenv":     6,
	"internal/e2e":         7,
	"cmd/mas-cli":          7,

	// import-upstream: upstream MAS's tables into the store, reported
	// through syn2mas's progress.
	"internal/importupstream": 3,

	// make bench: seeds through sqlstore's bulk loader, drives mas-cli.
	"internal/bench": 3,
}

// prefixRank ranks sub-packages that sit apart from their parent.
var prefixRank = map[string]int{
	"internal/clock/clocktest":           1,
	"internal/store/sqlstore":            2,
	"internal/store/storetest":           2,
	"internal/provisioning":              2,
	"internal/store/sqlite":              3,
	"internal/store/postgres":            3,
	"internal/store/postgres/pgtest":     3,
	"internal/homeserver/synapse":        2,
	"internal/homeserver/standalone":     2,
	"internal/homeserver/homeservertest": 2,
	"internal/homeserver/synapsetest":    4, // test support: real Synapse, databases from pgtest
	"internal/upstream/oidctest":         1, // test support: real OpenID providers (panva, zitadel)
	"internal/upstream/oidc":             1, // relying party for upstream providers: keys, clock, net/http
	"internal/upstream/claims":           1, // claims_imports templates: pure, no store or HTTP
	"internal/upstream/registry":         2, // the enabled providers, built from the store at start
	"internal/syn2mas/synapseconfig":     1, // Synapse's homeserver.yaml, read and merged: pure, no store

	// The Synapse database reader, and its test support (synthetic
	// homeservers, and the command behind make synapse-fixture).
	"internal/syn2mas/synapsedb":                1,
	"internal/syn2mas/synapsedb/synapsegen":     2,
	"internal/syn2mas/synapsedb/synapsegen/cmd": 3,

	// Test support: upstream MAS's schema and a generator of its rows.
	"internal/importupstream/upstreamtest": 4, // above pgtest, whose databases it fills

	"internal/bench/cmd": 4, // the command behind make bench
}

// onlyFrom lists packages that just a few others may import.
var onlyFrom = map[string][]string{
	// Packages take option structs of their own; only the wiring reads
	// the configuration.
	"internal/config": {"internal/app", "internal/cli", "internal/testenv"},
	// The concrete backends are chosen in one place.
	"internal/store/sqlite":   {"internal/app", "internal/cli", "internal/testdb"},
	"internal/store/postgres": {"internal/app", "internal/cli", "internal/testdb"},
	// Fakes are for tests only.
	"internal/homeserver/homeservertest": {"internal/testenv"},
	"internal/homeserver/synapsetest":    {"internal/testenv"},
	"internal/store/storetest":           {},
	"internal/store/postgres/pgtest":     {"internal/testenv", "internal/testdb", "internal/homeserver/synapsetest", "internal/importupstream/upstreamtest"},
	"internal/clock/clocktest":           {"internal/store/storetest", "internal/testenv"},
	"internal/testenv":                   {},
	"internal/browsertest":               {},
	"internal/logtest":                   {"internal/testenv", "internal/upstream/oidctest"},
	"internal/chrometest":                {},
	"internal/testdb":                    {},
	"internal/email/mailpittest":         {"internal/testenv"},
	"internal/upstream/oidctest":         {"internal/testenv"},

	// Synthetic Synapse homeservers: tests and make synapse-fixture.
	"internal/syn2mas/synapsedb/synapsegen": {"internal/syn2mas/synapsedb/synapsegen/cmd"},

	// Upstream MAS databases for the tests of import-upstream.
	"internal/importupstream/upstreamtest": {},
}

// forbiddenStd lists standard packages a package must not use.
var forbiddenStd = map[string][]string{
	"internal/domain": {"net/http", "database/sql", "os"},
	"internal/store":  {"net/http", "database/sql"},
}

func rankOf(pkg string) (int, bool) {
	if r, ok := prefixRank[pkg]; ok {
		return r, true
	}
	// Sub-packages inherit the rank of their nearest ranked parent.
	for p := pkg; p != ""; {
		if r, ok := rank[p]; ok {
			return r, true
		}
		i := strings.LastIndex(p, "/")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0, false
}

func TestLayering(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module+"/")
		pr, ok := rankOf(pkg)
		if !ok {
			t.Errorf("%s has no rank: add it to layering_test.go", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			for _, bad := range forbiddenStd[pkg] {
				if imp == bad {
					t.Errorf("%s must not import %s", pkg, imp)
				}
			}
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, module+"/")
			if allowed, ok := onlyFrom[dep]; ok && !contains(allowed, pkg) {
				t.Errorf("%s must not import %s (only %v may)", pkg, dep, allowed)
			}
			dr, ok := rankOf(dep)
			if !ok {
				continue // reported on its own line
			}
			if dr >= pr {
				t.Errorf("%s (rank %d) must not import %s (rank %d): dependencies point one way", pkg, pr, dep, dr)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
