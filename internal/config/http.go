package config

import (
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
)

// HTTPConfig is the `http` section: listeners and public URLs.
type HTTPConfig struct {
	Listeners []ListenerConfig `yaml:"listeners"`
	// TrustedProxies lists the addresses (IPs or CIDR ranges) allowed to set
	// X-Forwarded-For.
	TrustedProxies []string `yaml:"trusted_proxies"`
	PublicBase     string   `yaml:"public_base" required:"true"`
	// Issuer is the OIDC issuer; empty means PublicBase (see IssuerURL).
	Issuer string `yaml:"issuer,omitempty"`
}

// Default listener layout and public URL, as upstream.
const (
	DefaultPublicBase = "http://[::]:8080/"
	// DefaultAssetsPath is where the `assets` resource serves files from.
	// We follow the layout of upstream's pre-built release archives.
	DefaultAssetsPath = "./share/assets/"
)

// DefaultTrustedProxies is upstream's list. Note 10.0.0.0/10: upstream's
// code uses a /10 for the 10.x range (its documentation says /8); we keep
// the code's value so X-Forwarded-For handling is identical.
var DefaultTrustedProxies = []string{
	"192.168.0.0/16",
	"172.16.0.0/12",
	"10.0.0.0/10",
	"127.0.0.1/8",
	"fd00::/8",
	"::1/128",
}

// GeneratedTrustedProxies is what `config generate` writes: loopback only.
// Upstream's default trusts every private range, so that any host on the
// same private network may claim whatever client address it likes through
// X-Forwarded-For and sidestep the per-IP rate limits. A configuration
// without the key keeps upstream's list (drop-in compatibility; the server
// warns at start), but a new installation starts safe and the operator
// adds the reverse proxy's own address.
var GeneratedTrustedProxies = []string{
	"127.0.0.0/8",
	"::1/128",
}

func (h *HTTPConfig) setDefaults() {
	port8081 := uint16(8081)
	h.Listeners = []ListenerConfig{
		{
			Name: "web",
			Resources: []Resource{
				{Name: ResourceDiscovery},
				{Name: ResourceHuman},
				{Name: ResourceOAuth},
				{Name: ResourceCompat},
				{Name: ResourceGraphQL},
				{Name: ResourceAssets, Path: DefaultAssetsPath},
			},
			Binds: []BindConfig{{Address: "[::]:8080"}},
		},
		{
			Name:      "internal",
			Resources: []Resource{{Name: ResourceHealth}},
			Binds:     []BindConfig{{Host: "localhost", Port: &port8081}},
		},
	}
	h.TrustedProxies = append([]string(nil), DefaultTrustedProxies...)
	h.PublicBase = DefaultPublicBase
}

// beforeDecode: a given `http` section starts without listeners and needs
// its own public_base, exactly as upstream.
func (h *HTTPConfig) beforeDecode() {
	h.Listeners = nil
}

// IssuerURL returns the OIDC issuer, defaulting to the public base.
func (h *HTTPConfig) IssuerURL() string {
	if h.Issuer != "" {
		return h.Issuer
	}
	return h.PublicBase
}

// TrustedProxyPrefixes parses TrustedProxies. A bare address is a
// single-host prefix. Validate reports the entries this would reject.
func (h *HTTPConfig) TrustedProxyPrefixes() ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(h.TrustedProxies))
	for i, s := range h.TrustedProxies {
		p, err := parseProxy(s)
		if err != nil {
			return nil, Problems{{Path: indexPath("http.trusted_proxies", i), Message: err.Error()}}
		}
		out = append(out, p)
	}
	return out, nil
}

func parseProxy(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("invalid IP range %q", s)
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid IP address or range %q", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// ListenerConfig is one entry of `http.listeners`.
type ListenerConfig struct {
	// Name labels the listener in logs and metrics.
	Name      string     `yaml:"name,omitempty"`
	Resources []Resource `yaml:"resources" required:"true"`
	// Prefix mounts every resource under a path prefix, such as "/auth".
	Prefix string       `yaml:"prefix,omitempty"`
	Binds  []BindConfig `yaml:"binds" required:"true"`
	// ProxyProtocol expects HAProxy's PROXY protocol (v1) on connections.
	ProxyProtocol bool       `yaml:"proxy_protocol,omitempty"`
	TLS           *TLSConfig `yaml:"tls,omitempty"`
}

// ResourceName names what a listener serves.
type ResourceName string

const (
	ResourceHealth         ResourceName = "health"
	ResourcePrometheus     ResourceName = "prometheus"
	ResourceDiscovery      ResourceName = "discovery"
	ResourceHuman          ResourceName = "human"
	ResourceGraphQL        ResourceName = "graphql"
	ResourceOAuth          ResourceName = "oauth"
	ResourceCompat         ResourceName = "compat"
	ResourceAssets         ResourceName = "assets"
	ResourceAdminAPI       ResourceName = "adminapi"
	ResourceConnectionInfo ResourceName = "connection-info"
)

func (ResourceName) enumValues() []string {
	return []string{"health", "prometheus", "discovery", "human", "graphql", "oauth", "compat", "assets", "adminapi", "connection-info"}
}

// Resource is one entry of a listener's `resources`, tagged by `name`. Only
// the options of the named resource may be given.
type Resource struct {
	Name ResourceName `yaml:"name"`
	// Playground enables the GraphQL playground (graphql only).
	Playground bool `yaml:"playground,omitempty"`
	// UndocumentedOAuth2Access lets OAuth 2.0 clients use the GraphQL API
	// (graphql only).
	UndocumentedOAuth2Access bool `yaml:"undocumented_oauth2_access,omitempty"`
	// Path is the directory served by the assets resource; it defaults to
	// DefaultAssetsPath.
	Path string `yaml:"path,omitempty"`
}

// resourceOptions lists the keys each resource accepts besides `name`.
func resourceOptions(name ResourceName) []string {
	switch name {
	case ResourceGraphQL:
		return []string{"name", "playground", "undocumented_oauth2_access"}
	case ResourceAssets:
		return []string{"name", "path"}
	}
	return []string{"name"}
}

func (r *Resource) decodeNode(d *decoder, n *node, path string) {
	if n.kind != kindMap {
		d.typeError(n, path, "a mapping with a `name` key")
		return
	}
	nameNode, ok := n.children["name"]
	if !ok {
		d.fail(n, joinPath(path, "name"), "missing required key")
		return
	}
	before := len(d.probs)
	d.decode(nameNode, joinPath(path, "name"), reflect.ValueOf(&r.Name).Elem())
	if len(d.probs) > before {
		// Without a valid name there is no telling which options apply.
		return
	}
	if r.Name == ResourceAssets && r.Path == "" {
		r.Path = DefaultAssetsPath
	}
	d.decodeKeys(n, path, r, resourceOptions(r.Name), "not an option of the "+string(r.Name)+" resource")
}

func (r Resource) encodeNode() any {
	out := yaml.MapSlice{{Key: "name", Value: string(r.Name)}}
	switch r.Name {
	case ResourceGraphQL:
		out = append(out, encodeFields(r, "playground", "undocumented_oauth2_access")...)
	case ResourceAssets:
		if r.Path != DefaultAssetsPath && r.Path != "" {
			out = append(out, encodeFields(r, "path")...)
		}
	}
	return out
}

// AssetsPath returns the directory served by an assets resource.
func (r Resource) AssetsPath() string {
	if r.Path == "" {
		return DefaultAssetsPath
	}
	return r.Path
}

func (h *HTTPConfig) validate(v *validator) {
	v.httpURL("http.public_base", h.PublicBase)
	if h.Issuer != "" {
		v.httpURL("http.issuer", h.Issuer)
	}
	for i, s := range h.TrustedProxies {
		if _, err := parseProxy(s); err != nil {
			v.add(indexPath("http.trusted_proxies", i), "%v", err)
		}
	}
	for i := range h.Listeners {
		h.Listeners[i].validate(v, indexPath("http.listeners", i))
	}
}

func (l *ListenerConfig) validate(v *validator, path string) {
	if len(l.Resources) == 0 {
		v.add(joinPath(path, "resources"), "listener has no resources")
	}
	for i, r := range l.Resources {
		if r.Name == "" {
			v.add(joinPath(indexPath(joinPath(path, "resources"), i), "name"), "required")
		}
	}
	if len(l.Binds) == 0 {
		v.add(joinPath(path, "binds"), "listener does not bind to any address")
	}
	for i, b := range l.Binds {
		bp := indexPath(joinPath(path, "binds"), i)
		switch b.Form() {
		case BindAddress:
			if _, _, err := net.SplitHostPort(b.Address); err != nil {
				v.add(joinPath(bp, "address"), "invalid address %q: expected host:port", b.Address)
			}
		case BindUnix:
			if b.Mode != "" && !isOctal(b.Mode) {
				v.add(joinPath(bp, "mode"), "invalid mode %q: expected octal permission bits such as \"600\"", b.Mode)
			}
		}
	}
	if l.TLS != nil {
		tp := joinPath(path, "tls")
		switch {
		case l.TLS.Certificate == "" && l.TLS.CertificateFile == "":
			v.add(tp, "TLS configuration is missing a certificate (`certificate` or `certificate_file`)")
		default:
			v.atMostOne(tp, "certificate", l.TLS.Certificate, l.TLS.CertificateFile)
		}
		switch {
		case l.TLS.Key == "" && l.TLS.KeyFile == "":
			v.add(tp, "TLS configuration is missing a private key (`key` or `key_file`)")
		default:
			v.atMostOne(tp, "key", l.TLS.Key, l.TLS.KeyFile)
		}
		v.atMostOne(tp, "password", l.TLS.Password, l.TLS.PasswordFile)
	}
}

func isOctal(s string) bool {
	if s == "" || len(s) > 4 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '7' {
			return false
		}
	}
	return true
}
