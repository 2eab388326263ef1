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
// The same clients must also use https (see clientJWKSCache.download).
// Static clients (configured by the operator) and deployments that allow
// insecure URIs in the registration policy are exempt from both rules.

type unguardedFetchKey struct{}

// allowUnguardedFetch marks ctx as fetching a URI the operator vouches
// for: any address may be dialled and plain http is accepted.
func allowUnguardedFetch(ctx context.Context) context.Context {
	return context.WithValue(ctx, unguardedFetchKey{}, true)
}

func unguardedFetchAllowed(ctx context.Context) bool {
	allowed, _ := ctx.Value(unguardedFetchKey{}).(bool)
	return allowed
}

// errPrivateAddress is returned when a fetch would reach a non-public address.
var errPrivateAddress = errors.New("refusing to fetch from a non-public address")

// nonPublicIPv4 are the IPv4 blocks of the IANA IPv4 Special-Purpose
// Address Registry (plus multicast and the reserved class E) that are not
// globally reachable. Some overlap netip's predicates, which publicIPv4
// also asks: the table is the complete list a reader can check against
// the registry. Blocks the registry marks globally reachable (AS112
// 192.31.196.0/24 and 192.175.48.0/24, AMT 192.52.193.0/24) stay public.
var nonPublicIPv4 = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network" (RFC 791)
	netip.MustParsePrefix("10.0.0.0/8"),      // private (RFC 1918)
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space, carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("127.0.0.0/8"),     // loopback
	netip.MustParsePrefix("169.254.0.0/16"),  // link-local, where cloud metadata services live
	netip.MustParsePrefix("172.16.0.0/12"),   // private
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments (RFC 6890); its two anycast /32s are refused too: no JWK Set is served there
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation, TEST-NET-1 (RFC 5737)
	netip.MustParsePrefix("192.88.99.0/24"),  // former 6to4 relay anycast (RFC 7526)
	netip.MustParsePrefix("192.168.0.0/16"),  // private
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking (RFC 2544)
	netip.MustParsePrefix("198.51.100.0/24"), // documentation, TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation, TEST-NET-3
	netip.MustParsePrefix("224.0.0.0/4"),     // multicast
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved (RFC 1112), including the limited broadcast address
}

// nonPublicIPv6 are the IPv6 blocks refused outright. Those outside
// 2000::/3 are refused anyway (see publicIPv6) and are listed to keep the
// table complete against the IANA IPv6 Special-Purpose Address Registry.
var nonPublicIPv6 = []netip.Prefix{
	netip.MustParsePrefix("::/128"),         // unspecified
	netip.MustParsePrefix("::1/128"),        // loopback
	netip.MustParsePrefix("::/96"),          // IPv4-compatible, deprecated (RFC 4291 §2.5.5.1)
	netip.MustParsePrefix("::ffff:0:0/96"),  // IPv4-mapped: judged by the embedded IPv4 address before the table
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64 (RFC 8215): translates to whatever the site chose
	netip.MustParsePrefix("100::/64"),       // discard-only (RFC 6666)
	netip.MustParsePrefix("100:0:0:1::/64"), // dummy prefix
	netip.MustParsePrefix("2001::/23"),      // IETF protocol assignments, Teredo included; see below
	netip.MustParsePrefix("2001:db8::/32"),  // documentation (RFC 3849)
	netip.MustParsePrefix("2002::/16"),      // 6to4; see below
	netip.MustParsePrefix("3fff::/20"),      // documentation (RFC 9637)
	netip.MustParsePrefix("5f00::/16"),      // segment routing SIDs (RFC 9602)
	netip.MustParsePrefix("fc00::/7"),       // unique local (RFC 4193)
	netip.MustParsePrefix("fe80::/10"),      // link-local
	netip.MustParsePrefix("fec0::/10"),      // site-local, deprecated (RFC 3879)
	netip.MustParsePrefix("ff00::/8"),       // multicast
}

// 2001::/23 is refused whole. The registry marks a few of its sub-blocks
// globally reachable, but they are anycast service addresses (PCP, TURN),
// AMT and AS112 blocks and identifier spaces (ORCHIDv2, drone tags), none
// of which hosts a client's JWK Set, and Teredo (2001::/32) embeds an
// IPv4 address that the guard would otherwise have to trust.
//
// 6to4 (2002::/16, deprecated by RFC 7526) is refused whole as well: its
// embedded IPv4 address is a site's relay router, not the destination, so
// decoding it would not say where the packets end up.

// nat64WellKnown is the well-known NAT64 prefix (RFC 6052): the last 32
// bits are an IPv4 address that a translator reaches on our behalf. An
// IPv6-only deployment with DNS64 resolves IPv4-only hosts to such
// addresses, so they are allowed, but only when the embedded address is
// itself public: RFC 6052 §3.1 forbids translators from handling
// non-global IPv4 addresses under this prefix, yet nothing guarantees a
// given translator obeys. A network-specific NAT64 prefix cannot be told
// apart from ordinary IPv6 space; deployments using one must make their
// translator refuse non-global destinations.
var nat64WellKnown = netip.MustParsePrefix("64:ff9b::/96")

// globalUnicast is 2000::/3, the only IPv6 space IANA delegates to the
// regional registries for global unicast (RFC 4291 §2.4, RFC 3587).
var globalUnicast = netip.MustParsePrefix("2000::/3")

// publicAddress reports whether ip is routable on the public internet and
// so safe to fetch a client-chosen URI from.
func publicAddress(ip netip.Addr) bool {
	// A zoned address is scoped to one link, and netip.Prefix.Contains
	// never matches it, so it must not reach the tables.
	if !ip.IsValid() || ip.Zone() != "" {
		return false
	}
	// Go dials an IPv4-mapped address over IPv4: judge the IPv4 address.
	ip = ip.Unmap()
	if ip.Is4() {
		return publicIPv4(ip)
	}
	if nat64WellKnown.Contains(ip) {
		b := ip.As16()
		return publicIPv4(netip.AddrFrom4([4]byte(b[12:])))
	}
	return publicIPv6(ip)
}

func publicIPv4(ip netip.Addr) bool {
	if ip.IsUnspecified() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsMulticast() {
		return false
	}
	return !inAny(ip, nonPublicIPv4)
}

// publicIPv6 accepts global unicast space outside the special blocks.
// Everything outside 2000::/3 is either special or unassigned, and
// unassigned space is nowhere a public server can be.
func publicIPv6(ip netip.Addr) bool {
	if ip.IsUnspecified() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return false
	}
	return globalUnicast.Contains(ip) && !inAny(ip, nonPublicIPv6)
}

func inAny(ip netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
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
	if unguardedFetchAllowed(ctx) {
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
