package config

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// fixtures are complete configurations that must load, validate and
// survive Marshal. Together they use every key (TestFixturesCoverEveryKey).
var fixtures = []string{
	"testdata/full.yaml",
	"testdata/full-alt.yaml",
	"testdata/full-alt-2.yaml",
	"testdata/upstream-provider.yaml",
}

func TestFixtures(t *testing.T) {
	for _, name := range fixtures {
		t.Run(filepath.Base(name), func(t *testing.T) {
			c, err := Load([]string{name})
			if err != nil {
				t.Fatalf("load:\n%v", err)
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("validate:\n%v", err)
			}
			out, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			back, err := LoadBytes("dump.yaml", out)
			if err != nil {
				t.Fatalf("reload:\n%v\n%s", err, out)
			}
			if !reflect.DeepEqual(c, back) {
				t.Errorf("round trip changed the config; dump:\n%s", out)
			}
		})
	}
}

// TestUpstreamProviderExample spot-checks the documented provider example.
func TestUpstreamProviderExample(t *testing.T) {
	c, err := Load([]string{"testdata/upstream-provider.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	ps := c.UpstreamOAuth2.Providers
	if len(ps) != 3 {
		t.Fatalf("got %d providers", len(ps))
	}
	p := ps[0]
	if p.SynapseIdpID != "oidc-github" || p.BrandName != "google" || p.Scope != "openid email profile" ||
		p.TokenEndpointAuthMethod != TokenAuthClientSecretPost || !p.FetchUserinfo || p.ResponseMode != ResponseModeQuery {
		t.Errorf("provider 0 = %+v", p)
	}
	if got := p.AdditionalAuthorizationParameters["prompt"]; got != "{% if logged_out %}login{% endif %}" {
		t.Errorf("additional parameter prompt = %q", got)
	}
	if p.ClaimsImports.AccountName.Template != "@{{ user.preferred_username }}" || p.ClaimsImports.Localpart.Action != ImportForce {
		t.Errorf("claims imports = %+v", p.ClaimsImports)
	}
	secret, err := p.ClientSecretValue()
	if err != nil || secret != "upstream-client-secret" {
		t.Errorf("client secret = %q, %v", secret, err)
	}
	apple := ps[1].SignInWithApple
	if apple == nil || apple.TeamID != "<team-id>" {
		t.Fatalf("sign in with apple = %+v", apple)
	}
	if key, err := apple.PrivateKeyPEM(); err != nil || !strings.Contains(string(key), "BEGIN PRIVATE KEY") {
		t.Errorf("apple key: %v", err)
	}
	if ps[2].Enabled || ps[2].DiscoveryMode != DiscoveryDisabled || ps[2].TokenEndpointAuthSigningAlg != "HS256" {
		t.Errorf("provider 2 = %+v", ps[2])
	}
}

// TestFixturesCoverEveryKey makes the fixtures a living list of every
// configuration key: adding a field without adding it to a fixture fails.
func TestFixturesCoverEveryKey(t *testing.T) {
	used := map[string]bool{}
	for _, name := range fixtures {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		root, probs := parseSource(name, data)
		if len(probs) > 0 {
			t.Fatal(probs)
		}
		collectKeys(root, "", used)
	}
	var missing []string
	for _, k := range schemaKeys(reflect.TypeOf(Config{}), "") {
		if !used[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("keys used by no fixture:\n  %s", strings.Join(missing, "\n  "))
	}
}

// collectKeys records every key path in a tree, with list indices as [].
func collectKeys(n *node, path string, out map[string]bool) {
	switch n.kind {
	case kindMap:
		for _, k := range n.keys {
			p := joinPath(path, k)
			out[p] = true
			collectKeys(n.children[k], p, out)
		}
	case kindSeq:
		for _, item := range n.items {
			collectKeys(item, path+"[]", out)
		}
	}
}

// schemaKeys lists every key path the Config type accepts. Free-form values
// (policy data, JSON Web Keys, parameter maps) are not descended into.
func schemaKeys(t reflect.Type, path string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Map {
			return nil
		}
		return schemaKeys(t.Elem(), path+"[]")
	case reflect.Struct:
		var out []string
		for _, f := range fieldsOf(t).list {
			p := joinPath(path, f.name)
			out = append(out, p)
			out = append(out, schemaKeys(t.Field(f.index).Type, p)...)
		}
		return out
	}
	return nil
}
