package httpserver

import (
	"net/http"
	"net/netip"
	"strings"
)

// maxForwardedHops caps how much of X-Forwarded-For is looked at; longer
// chains are not real and would only cost parsing time.
const maxForwardedHops = 32

// clientIP works out the address of the client behind the request.
//
// The peer is the socket's remote end (or the PROXY header's source). Only a
// trusted peer may vouch for earlier hops through X-Forwarded-For: the list
// is walked from the right, each trusted hop handing over to the one before
// it, and the first untrusted hop is the client. Unix-socket peers count as
// trusted, since only processes allowed by the socket file's permissions can
// connect, which is how reverse proxies on the same host are set up.
func clientIP(r *http.Request, unixPeer bool, trusted []netip.Prefix) netip.Addr {
	peer, hasPeer := parseHop(r.RemoteAddr)
	if !hasPeer && !unixPeer {
		return netip.Addr{}
	}
	if hasPeer && !isTrusted(peer, trusted) {
		return peer
	}

	hops := forwardedHops(r.Header.Values("X-Forwarded-For"))
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		ip, ok := parseHop(hops[i])
		if !ok {
			// A hop we cannot read breaks the chain of trust: keep the last
			// address we could vouch for.
			break
		}
		client = ip
		if !isTrusted(ip, trusted) {
			break
		}
	}
	return client
}

func forwardedHops(values []string) []string {
	var hops []string
	for _, v := range values {
		for h := range strings.SplitSeq(v, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	// Only the right-most hops can be vouched for, so drop the rest.
	if len(hops) > maxForwardedHops {
		hops = hops[len(hops)-maxForwardedHops:]
	}
	return hops
}

// parseHop reads "ip", "ip:port" or "[ipv6]:port". It maps IPv4-in-IPv6
// back to IPv4 and drops zones, so that trusted ranges match however the
// kernel or the proxy wrote the address.
func parseHop(s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().WithZone("").Unmap(), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.WithZone("").Unmap(), true
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
