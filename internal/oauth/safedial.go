package oauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// Dynamically registered clients choose their jwks_uri, and the service
// fetches it: without a guard anyone could make it send requests to
// loopback, private or link-local addresses (server-side request
// forgery, e.g. cloud metadata endpoints or the internal health listener).
// The guard resolves the host itself and dials only public addresses,
// so a DNS answer cannot change between the check and the connection.
// Static clients (configured by the operator) and deployments that allow
// insecure URIs in the registration policy may use any address.

type privateFetchKey struct{}

// allowPrivateFetch marks ctx as allowed to reach non-public addresses.
func allowPrivateFetch(ctx context.Context) context.Context {
	return context.WithValue(ctx, privateFetchKey{}, true)
}

func privateFetchAllowed(ctx context.Context) bool {
	allowed, _ := ctx.Value(privateFetchKey{}).(bool)
	return allowed
}

// errPrivateAddress is returned when a fetch would reach a non-public address.
var errPrivateAddress = errors.New("refusing to fetch from a non-public address")

// publicAddress reports whether ip is routable on the public internet.
func publicAddress(ip netip.Addr) bool {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid(), ip.IsUnspecified(), ip.IsLoopback(), ip.IsPrivate(),
		ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(), ip.IsMulticast(),
		ip.IsInterfaceLocalMulticast():
		return false
	}
	// Carrier-grade NAT (RFC 6598) is private in practice.
	return !netip.MustParsePrefix("100.64.0.0/10").Contains(ip)
}

// guardedDialer dials like net.Dialer but, unless the context allows it,
// only to public addresses.
type guardedDialer struct {
	dialer   net.Dialer
	resolver *net.Resolver
}

func newGuardedDialer(timeout time.Duration) *guardedDialer {
	return &guardedDialer{dialer: net.Dialer{Timeout: timeout}, resolver: net.DefaultResolver}
}

func (g *guardedDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if privateFetchAllowed(ctx) {
		return g.dialer.DialContext(ctx, network, addr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := g.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	var lastErr error = fmt.Errorf("%w: %s", errPrivateAddress, host)
	for _, ip := range ips {
		if !publicAddress(ip) {
			continue
		}
		conn, err := g.dialer.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	return nil, lastErr
}
