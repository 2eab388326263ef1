package policy

import (
	"net/netip"
	"testing"
)

func TestStringConstraints(t *testing.T) {
	tests := []struct {
		data, s string
		want    bool
	}{
		{"{'literals': ['literal']}", "literal", true},
		{"{'literals': ['lit']}", "literal", false},
		{"{'substrings': ['str']}", "some string", true},
		{"{'substrings': ['something']}", "some string", false},
		{"{'regexes': ['^some']}", "some string", true},
		{"{'regexes': ['^string']}", "some string", false},
		{"{'prefixes': ['some']}", "some string", true},
		{"{'prefixes': ['string']}", "some string", false},
		{"{'suffixes': ['string']}", "some string", true},
		{"{'suffixes': ['some']}", "some string", false},
		{"{'literals': ['x'], 'suffixes': ['ing']}", "some string", true},
		{"{}", "some string", false},
		{"{'literals': null, 'regexes': []}", "some string", false},
	}
	for _, tt := range tests {
		e := engine(t, "{'registration': {'banned_usernames': "+tt.data+"}}")
		if got := e.k.bannedUsernames.matches(tt.s); got != tt.want {
			t.Errorf("%s matches %q = %v, want %v", tt.data, tt.s, got, tt.want)
		}
	}
	var none *constraints
	if none.matches("") {
		t.Error("nil constraints match")
	}
}

func TestBannedIPs(t *testing.T) {
	tests := []struct {
		list, ip string
		want     bool
	}{
		{"['192.168.1.1']", "192.168.1.1", true},
		{"['192.168.1.0/24']", "192.168.1.1", true},
		{"['192.168.1.2/32']", "192.168.1.1", false},
		{"['192.168.1.2']", "192.168.1.1", false},
		{"['::1']", "::1", true},
		{"['::/64']", "::1", true},
		{"['2001:db8::/32']", "2001:db9::1", false},
		{"['10.0.0.0/8']", "::ffff:10.1.2.3", true}, // IPv4-mapped
		{"['10.0.0.0/8']", "fe80::1%eth0", false},
		{"['fe80::/10']", "fe80::1%eth0", true}, // zone ignored
		{"['10.0.0.0/8']", "2001:db8::1", false},
		{"['10.1.2.3/8']", "10.200.0.1", true}, // host bits are ignored
		{"[]", "10.0.0.1", false},
	}
	for _, tt := range tests {
		e := engine(t, "{'requester': {'banned_ips': "+tt.list+"}}")
		if got := e.k.requesterBanned(Requester{IPAddress: netip.MustParseAddr(tt.ip)}); got != tt.want {
			t.Errorf("%s banned in %s = %v, want %v", tt.ip, tt.list, got, tt.want)
		}
	}
}

func TestRequesterBanned(t *testing.T) {
	e := engine(t, "{'requester': {'banned_ips': ['192.168.1.1']}}")
	if !e.k.requesterBanned(Requester{IPAddress: addr("192.168.1.1"), UserAgent: "Mozilla/5.0"}) {
		t.Error("banned IP with a user agent not banned")
	}
	e = engine(t, "{'requester': {'banned_user_agents': {'literals': ['']}}}")
	if e.k.requesterBanned(Requester{}) {
		t.Error("an absent user agent matched a constraint")
	}
	// No data: nobody is banned.
	var zero Engine
	if vs := zero.Register(RegisterInput{RegistrationMethod: "password", Username: "a", Requester: Requester{IPAddress: addr("1.2.3.4")}}); len(vs) != 0 {
		t.Errorf("zero engine: %+v", vs)
	}
}

func TestRequesterDescription(t *testing.T) {
	tests := []struct {
		r    Requester
		want string
	}{
		{Requester{}, "unknown"},
		{Requester{IPAddress: addr("192.0.2.1")}, "192.0.2.1"},
		{Requester{UserAgent: "Mozilla/5.0 (X11)"}, "Mozilla/5.0 (X11)"},
		{Requester{IPAddress: addr("2001:db8::1"), UserAgent: "ua"}, "2001:db8::1 / ua"},
		{Requester{IPAddress: addr("::ffff:192.0.2.1")}, "::ffff:192.0.2.1"},
		{Requester{IPAddress: addr("fe80::1%eth0")}, "fe80::1"},
	}
	for _, tt := range tests {
		if got := tt.r.describe(); got != tt.want {
			t.Errorf("describe(%+v) = %q, want %q", tt.r, got, tt.want)
		}
	}
	e := engine(t, "{'requester': {'banned_user_agents': {'regexes': ['']}}}")
	wantMsgs(t, e.Email(EmailInput{Email: "a@b", Requester: Requester{UserAgent: "x"}}), "Requester [x] isn't allowed to do this action")
}

func TestJoin(t *testing.T) {
	if got := Join(nil); got != "" {
		t.Errorf("Join(nil) = %q", got)
	}
	if got := Join([]Violation{{Msg: "a"}, {Msg: "b", Code: "c"}}); got != "a, b" {
		t.Errorf("Join = %q", got)
	}
}
