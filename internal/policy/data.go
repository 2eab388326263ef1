package policy

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// knobs is the policy data the rules read, checked and compiled once.
//
// A JSON null counts as unset everywhere. That matters for the allow-lists:
// an allow-list that is present but empty (`allowed_domains: []`) refuses
// everything, exactly as upstream's rules do, whereas a null one allows
// everything (upstream would refuse everything; null is how a dynamic data
// update removes a static key, so treating it as unset is the useful reading).
type knobs struct {
	serverName    string
	hasServerName bool

	adminUsers           []string
	adminClients         []string
	tokenExchangeClients []string

	allowHostMismatch     bool
	allowInsecureURIs     bool
	allowMissingClientURI bool

	allowedUsernames *constraints // nil: every username allowed
	bannedUsernames  *constraints

	allowedDomains []*regexp.Regexp // nil: every domain allowed
	bannedDomains  []*regexp.Regexp
	allowedEmails  *constraints // nil: every address allowed
	bannedEmails   *constraints

	bannedIPs        []*net.IPNet
	bannedUserAgents *constraints

	sessionLimit *sessionLimit
}

// sessionLimit is `session_limit`; a nil limit disables its rule, as an
// absent key makes upstream's comparison undefined.
type sessionLimit struct {
	soft, hard, maxThreshold *int64
}

func (s *sessionLimit) appliesTo(total int64) bool {
	return s.maxThreshold == nil || total <= *s.maxThreshold
}

// constraints is upstream's string constraint object: a string matches when
// any listed test does.
type constraints struct {
	literals, substrings, prefixes, suffixes []string
	regexes                                  []*regexp.Regexp
}

func (c *constraints) matches(s string) bool {
	if c == nil {
		return false
	}
	for _, l := range c.literals {
		if s == l {
			return true
		}
	}
	for _, l := range c.substrings {
		if strings.Contains(s, l) {
			return true
		}
	}
	for _, l := range c.prefixes {
		if strings.HasPrefix(s, l) {
			return true
		}
	}
	for _, l := range c.suffixes {
		if strings.HasSuffix(s, l) {
			return true
		}
	}
	for _, re := range c.regexes {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

func parseKnobs(m map[string]any) (knobs, error) {
	p := &parser{}
	var k knobs

	if v, ok := m["server_name"]; ok && v != nil {
		if s, ok := v.(string); ok {
			k.serverName, k.hasServerName = s, true
		} else {
			p.fail("server_name", "must be a string, got %s", kindOf(v))
		}
	}
	k.adminUsers = p.strings("admin_users", m["admin_users"])
	k.adminClients = p.strings("admin_clients", m["admin_clients"])
	k.tokenExchangeClients = p.strings("token_exchange_clients", m["token_exchange_clients"])

	cr := p.object("client_registration", m["client_registration"])
	k.allowHostMismatch = p.boolean("client_registration.allow_host_mismatch", cr["allow_host_mismatch"])
	k.allowInsecureURIs = p.boolean("client_registration.allow_insecure_uris", cr["allow_insecure_uris"])
	k.allowMissingClientURI = p.boolean("client_registration.allow_missing_client_uri", cr["allow_missing_client_uri"])

	reg := p.object("registration", m["registration"])
	k.allowedUsernames = p.constraints("registration.allowed_usernames", reg["allowed_usernames"])
	k.bannedUsernames = p.constraints("registration.banned_usernames", reg["banned_usernames"])

	k.allowedDomains = p.globs("allowed_domains", m["allowed_domains"])
	k.bannedDomains = p.globs("banned_domains", m["banned_domains"])
	emails := p.object("emails", m["emails"])
	k.allowedEmails = p.constraints("emails.allowed_addresses", emails["allowed_addresses"])
	k.bannedEmails = p.constraints("emails.banned_addresses", emails["banned_addresses"])

	req := p.object("requester", m["requester"])
	k.bannedIPs = p.cidrs("requester.banned_ips", req["banned_ips"])
	k.bannedUserAgents = p.constraints("requester.banned_user_agents", req["banned_user_agents"])

	if sl := p.object("session_limit", m["session_limit"]); sl != nil {
		k.sessionLimit = &sessionLimit{
			soft:         p.integer("session_limit.soft_limit", sl["soft_limit"]),
			hard:         p.integer("session_limit.hard_limit", sl["hard_limit"]),
			maxThreshold: p.integer("session_limit.max_session_threshold", sl["max_session_threshold"]),
		}
		p.boolean("session_limit.dangerous_hard_limit_eviction", sl["dangerous_hard_limit_eviction"])
	}

	return k, errorsOf(p.errs)
}

// parser checks the shape of known keys, collecting every problem so that
// an operator sees them all at once.
type parser struct{ errs []error }

func (p *parser) fail(path, format string, args ...any) {
	p.errs = append(p.errs, &DataError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// object returns nil for null or absent values, so lookups in it read as
// absent too.
func (p *parser) object(path string, v any) map[string]any {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		p.fail(path, "must be an object, got %s", kindOf(v))
		return nil
	}
	return m
}

func (p *parser) boolean(path string, v any) bool {
	if v == nil {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		p.fail(path, "must be a boolean, got %s", kindOf(v))
	}
	return b
}

// strings returns nil when unset and a non-nil slice (maybe empty) when
// set, so that callers can tell an empty list from no list.
func (p *parser) strings(path string, v any) []string {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		p.fail(path, "must be an array of strings, got %s", kindOf(v))
		return nil
	}
	out := make([]string, 0, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			p.fail(fmt.Sprintf("%s[%d]", path, i), "must be a string, got %s", kindOf(e))
			continue
		}
		out = append(out, s)
	}
	return out
}

func (p *parser) integer(path string, v any) *int64 {
	if v == nil {
		return nil
	}
	var n int64
	switch v := v.(type) {
	case json.Number:
		i, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			// 3.0 and 1e3 are integers too.
			f, ferr := strconv.ParseFloat(string(v), 64)
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
				p.fail(path, "must be an integer, got %s", v)
				return nil
			}
			i = int64(f)
		}
		n = i
	default:
		p.fail(path, "must be an integer, got %s", kindOf(v))
		return nil
	}
	if n < 0 {
		p.fail(path, "must not be negative, got %d", n)
		return nil
	}
	return &n
}

func (p *parser) constraints(path string, v any) *constraints {
	m := p.object(path, v)
	if m == nil {
		return nil
	}
	c := &constraints{
		literals:   p.strings(path+".literals", m["literals"]),
		substrings: p.strings(path+".substrings", m["substrings"]),
		prefixes:   p.strings(path+".prefixes", m["prefixes"]),
		suffixes:   p.strings(path+".suffixes", m["suffixes"]),
	}
	for i, pattern := range p.strings(path+".regexes", m["regexes"]) {
		// Upstream's regex.match uses Go's RE2 syntax, unanchored.
		re, err := regexp.Compile(pattern)
		if err != nil {
			p.fail(fmt.Sprintf("%s.regexes[%d]", path, i), "invalid regular expression %q: %v", pattern, err)
			continue
		}
		c.regexes = append(c.regexes, re)
	}
	return c
}

func (p *parser) globs(path string, v any) []*regexp.Regexp {
	patterns := p.strings(path, v)
	if patterns == nil {
		return nil
	}
	out := make([]*regexp.Regexp, 0, len(patterns))
	for i, pattern := range patterns {
		re, err := compileGlob(pattern)
		if err != nil {
			p.fail(fmt.Sprintf("%s[%d]", path, i), "invalid glob %q: %v", pattern, err)
			continue
		}
		out = append(out, re)
	}
	return out
}

// cidrs reads IP addresses and CIDR ranges. A bare address is a single-host
// range, as upstream widens it with /32 or /128.
func (p *parser) cidrs(path string, v any) []*net.IPNet {
	var out []*net.IPNet
	for i, s := range p.strings(path, v) {
		cidr := s
		if !strings.Contains(cidr, "/") {
			if strings.Contains(cidr, ":") {
				cidr += "/128"
			} else {
				cidr += "/32"
			}
		}
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			p.fail(fmt.Sprintf("%s[%d]", path, i), "%q is not an IP address or CIDR range", s)
			continue
		}
		out = append(out, n)
	}
	return out
}
