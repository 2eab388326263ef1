package policy

import (
	"net"
	"net/netip"
)

// Requester identifies who is making the request. Both fields are optional:
// the zero Addr and the empty string mean unknown.
type Requester struct {
	IPAddress netip.Addr
	UserAgent string
}

// requesterViolations applies `requester.banned_ips` and
// `requester.banned_user_agents`, common to every entrypoint.
func (k *knobs) requesterViolations(vs *violations, r Requester) {
	if k.requesterBanned(r) {
		vs.msg("Requester [" + r.describe() + "] isn't allowed to do this action")
	}
}

func (k *knobs) requesterBanned(r Requester) bool {
	if r.IPAddress.IsValid() {
		ip := net.IP(r.IPAddress.WithZone("").AsSlice())
		for _, n := range k.bannedIPs {
			// net.IPNet.Contains, like upstream's net.cidr_contains, also
			// matches IPv4-mapped IPv6 addresses against IPv4 ranges.
			if n.Contains(ip) {
				return true
			}
		}
	}
	return r.UserAgent != "" && k.bannedUserAgents.matches(r.UserAgent)
}

func (r Requester) describe() string {
	ip := ""
	if r.IPAddress.IsValid() {
		ip = r.IPAddress.WithZone("").String()
	}
	switch {
	case ip != "" && r.UserAgent != "":
		return ip + " / " + r.UserAgent
	case ip != "":
		return ip
	case r.UserAgent != "":
		return r.UserAgent
	default:
		return "unknown"
	}
}
