package httpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"mas/internal/templates"
)

// Resource names, as spelled in http.listeners[].resources[].name.
const (
	ResourceHealth         = "health"
	ResourcePrometheus     = "prometheus"
	ResourceDiscovery      = "discovery"
	ResourceHuman          = "human"
	ResourceOAuth          = "oauth"
	ResourceCompat         = "compat"
	ResourceGraphQL        = "graphql"
	ResourceAssets         = "assets"
	ResourceAdminAPI       = "adminapi"
	ResourceConnectionInfo = "connection-info"
)

// knownResources lists every resource name in a stable order.
var knownResources = []string{
	ResourceHealth, ResourcePrometheus, ResourceDiscovery, ResourceHuman, ResourceOAuth,
	ResourceCompat, ResourceGraphQL, ResourceAssets, ResourceAdminAPI, ResourceConnectionInfo,
}

// IsKnownResource reports whether name is a resource this server can mount.
func IsKnownResource(name string) bool {
	for _, k := range knownResources {
		if k == name {
			return true
		}
	}
	return false
}

// Options configure a Server. Only Listeners is required.
type Options struct {
	Listeners []Listener

	// TrustedProxies are the peers whose X-Forwarded-For header is believed.
	TrustedProxies []netip.Prefix

	// Logger receives request and lifecycle logs; nil means slog.Default.
	Logger *slog.Logger
	// RequestLog chooses which requests are logged at info level.
	RequestLog RequestLog

	// Mounts register the handlers of each resource (keyed by resource
	// name). The health, prometheus and connection-info resources have
	// built-in mounts, which an entry here replaces.
	Mounts map[string]MountFunc

	// Health is run by GET /health; it should do a database round trip.
	// nil means the process answering is healthy enough.
	Health func(ctx context.Context) error

	// Templates render the 404 and 500 pages; nil falls back to plain text.
	Templates *templates.Templates

	// PageCommon gives the layout data (links, service name) for pages the
	// server renders itself. nil means empty links.
	PageCommon func(r *http.Request) templates.Common

	// Registerer receives the request metrics; Gatherer is what /metrics
	// exposes. When only one is given and it also implements the other
	// interface (as *prometheus.Registry does), it serves as both; when
	// neither is given a private registry is used.
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer

	// Rand is the randomness for request IDs; nil means crypto/rand.
	Rand io.Reader

	// Tracing, when set, gives every request a server span (tracing.go).
	Tracing *Tracing
}

// MountFunc registers a resource's handlers on a listener's mux. It is
// called once per listener carrying the resource, with that listener's
// resource options; patterns are written without the listener prefix.
type MountFunc func(mux *http.ServeMux, res Resource)

// Listener is one set of sockets serving the same resources.
type Listener struct {
	// Name identifies the listener in logs, metrics and Addrs; empty names
	// become "listener-<index>".
	Name      string
	Resources []Resource
	// Prefix nests every resource below a path ("/auth"); a trailing
	// slash is ignored.
	Prefix string
	Binds  []Bind
	// ProxyProtocol requires a PROXY protocol (v1 or v2) header at the
	// start of every connection and takes the client address from it.
	ProxyProtocol bool
	// TLS, when set, makes every bind of the listener speak HTTPS.
	TLS *tls.Config
}

// Resource is one group of routes, with the options some groups take.
type Resource struct {
	Name string
	// Playground enables the GraphQL playground (graphql).
	Playground bool
	// UndocumentedOAuth2Access lets OAuth access tokens use GraphQL (graphql).
	UndocumentedOAuth2Access bool
	// Path is the directory of static files (assets).
	Path string
}

// Bind is one socket of a listener. Exactly one of Address, Host/Port,
// Socket or FD is used.
type Bind struct {
	// Address is host:port, e.g. "[::]:8080", "127.0.0.1:0", "localhost:8081".
	Address string
	// Host and Port form an address; an empty Host means all interfaces.
	Host string
	Port int
	// Socket is the path of a unix socket; Mode, when non-zero, is applied
	// to the socket file.
	Socket string
	Mode   os.FileMode
	// FD is an inherited, already listening descriptor (socket activation);
	// FDKind says what it is: "tcp" (default) or "unix".
	FD     *int
	FDKind string
}

// String describes the bind for logs and errors.
func (b Bind) String() string {
	switch {
	case b.Address != "":
		return "address " + b.Address
	case b.Socket != "":
		return "socket " + b.Socket
	case b.FD != nil:
		kind := b.FDKind
		if kind == "" {
			kind = "tcp"
		}
		return fmt.Sprintf("fd %d (%s)", *b.FD, kind)
	default:
		return "address " + b.hostPort()
	}
}

func (b Bind) hostPort() string { return net.JoinHostPort(b.Host, strconv.Itoa(b.Port)) }

func (b Bind) validate() error {
	forms := 0
	if b.Address != "" {
		forms++
	}
	if b.Host != "" || b.Port != 0 {
		forms++
	}
	if b.Socket != "" {
		forms++
	}
	if b.FD != nil {
		forms++
	}
	switch {
	case forms == 0:
		return errors.New("bind needs one of address, host/port, socket or fd")
	case forms > 1:
		return errors.New("bind must use only one of address, host/port, socket or fd")
	case b.Port < 0 || b.Port > 65535:
		return fmt.Errorf("port %d is out of range", b.Port)
	case b.Mode != 0 && b.Socket == "":
		return errors.New("mode only applies to a socket bind")
	case b.Mode&^os.ModePerm != 0:
		return fmt.Errorf("mode %#o has bits other than permissions", uint32(b.Mode))
	case b.FDKind != "" && b.FD == nil:
		return errors.New("kind only applies to an fd bind")
	case b.FD != nil && *b.FD < 0:
		return fmt.Errorf("fd %d is negative", *b.FD)
	case b.FD != nil && b.FDKind != "" && b.FDKind != "tcp" && b.FDKind != "unix":
		return fmt.Errorf("fd kind %q is neither tcp nor unix", b.FDKind)
	}
	return nil
}

// normalizePrefix turns "", "/" into "" and "auth/", "/auth/" into "/auth".
func normalizePrefix(p string) (string, error) {
	p = strings.TrimRight(p, "/")
	if p == "" {
		return "", nil
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if strings.ContainsAny(p, "?#{}") || path.Clean(p) != p {
		return "", fmt.Errorf("prefix %q is not a clean path", p)
	}
	return p, nil
}

// validate checks the options and returns normalised listeners.
func (o *Options) validate() ([]Listener, error) {
	if len(o.Listeners) == 0 {
		return nil, errors.New("no listeners configured")
	}
	for name := range o.Mounts {
		if !IsKnownResource(name) {
			return nil, fmt.Errorf("mount for unknown resource %q", name)
		}
		if o.Mounts[name] == nil {
			return nil, fmt.Errorf("mount for resource %q is nil", name)
		}
	}
	for i, p := range o.TrustedProxies {
		if !p.IsValid() {
			return nil, fmt.Errorf("trusted proxy #%d is not a valid prefix", i)
		}
	}

	seen := map[string]bool{}
	out := make([]Listener, len(o.Listeners))
	for i, l := range o.Listeners {
		if l.Name == "" {
			l.Name = "listener-" + strconv.Itoa(i)
		}
		if seen[l.Name] {
			return nil, fmt.Errorf("listener %q is defined twice", l.Name)
		}
		seen[l.Name] = true

		prefix, err := normalizePrefix(l.Prefix)
		if err != nil {
			return nil, fmt.Errorf("listener %q: %w", l.Name, err)
		}
		l.Prefix = prefix

		res := map[string]bool{}
		for _, r := range l.Resources {
			if !IsKnownResource(r.Name) {
				return nil, fmt.Errorf("listener %q: unknown resource %q (known: %s)",
					l.Name, r.Name, strings.Join(knownResources, ", "))
			}
			if res[r.Name] {
				return nil, fmt.Errorf("listener %q: resource %q listed twice", l.Name, r.Name)
			}
			res[r.Name] = true
		}

		if len(l.Binds) == 0 {
			return nil, fmt.Errorf("listener %q has no binds", l.Name)
		}
		for _, b := range l.Binds {
			if err := b.validate(); err != nil {
				return nil, fmt.Errorf("listener %q: %s: %w", l.Name, b, err)
			}
		}
		if l.TLS != nil && len(l.TLS.Certificates) == 0 && l.TLS.GetCertificate == nil && l.TLS.GetConfigForClient == nil {
			return nil, fmt.Errorf("listener %q: TLS configuration has no certificate", l.Name)
		}
		out[i] = l
	}
	return out, nil
}
