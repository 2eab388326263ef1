package config

import (
	"crypto/rand"
	"reflect"
	"strings"
	"testing"
)

// TestGenerateTrustsLoopbackOnly: a generated configuration lets only this
// machine set the client address through X-Forwarded-For, and says in the
// file how to add a reverse proxy running elsewhere. A configuration that
// omits the key keeps upstream's list.
func TestGenerateTrustsLoopbackOnly(t *testing.T) {
	c, err := Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.0/8", "::1/128"}
	if !reflect.DeepEqual(c.HTTP.TrustedProxies, want) {
		t.Fatalf("trusted_proxies = %v, want %v", c.HTTP.TrustedProxies, want)
	}
	prefixes, err := c.HTTP.TrustedProxyPrefixes()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range prefixes {
		if !p.Addr().IsLoopback() {
			t.Errorf("generated configuration trusts %s, which is not loopback", p)
		}
	}

	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	wantBlock := "  # Addresses allowed to report the client's address in X-Forwarded-For.\n"
	i := strings.Index(text, wantBlock)
	j := strings.Index(text, "  trusted_proxies:\n    - 127.0.0.0/8\n    - ::1/128\n")
	if i < 0 || j < 0 || i > j {
		t.Fatalf("the trusted_proxies list is not written, or not below its comment:\n%s", text)
	}
	if comment := text[i:j]; !strings.Contains(comment, "add its exact address") || !strings.Contains(comment, "rate limits") {
		t.Errorf("the comment does not say how to add the proxy's address:\n%s", comment)
	}
	back, err := LoadBytes("generated.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.HTTP.TrustedProxies, want) {
		t.Errorf("reloaded trusted_proxies = %v", back.HTTP.TrustedProxies)
	}

	// Without the key: upstream's list, unchanged for drop-in
	// compatibility, and no comment meant for generated files.
	d := Default()
	if !reflect.DeepEqual(d.HTTP.TrustedProxies, DefaultTrustedProxies) || len(DefaultTrustedProxies) != 6 {
		t.Errorf("default trusted_proxies = %v", d.HTTP.TrustedProxies)
	}
	dump, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(dump), "X-Forwarded-For") {
		t.Errorf("the generated-file comment appears in a dump of the defaults:\n%s", dump)
	}
}
