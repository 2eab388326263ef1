package ratelimit

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

// TestPerIPLimitKeysIPv6By64: addresses of one IPv6 /64 share a per-IP
// bucket, so a host cannot get fresh limits by changing its interface
// identifier; another /64, and every distinct IPv4 address, has its own.
func TestPerIPLimitKeysIPv6By64(t *testing.T) {
	s, err := NewSet(Config{}, Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	limited := func(ip string, account string) bool {
		err := s.CheckPassword(netip.MustParseAddr(ip), account)
		var le *LimitedError
		if err != nil && (!errors.As(err, &le) || le.Limiter != "login.per_ip") {
			t.Fatalf("CheckPassword(%s): %v", ip, err)
		}
		return err != nil
	}

	// login.per_ip allows a burst of 3, spent from three addresses of one /64.
	for i, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff"} {
		if limited(ip, "a") {
			t.Fatalf("attempt %d from the /64 refused", i+1)
		}
	}
	if !limited("2001:db8:1:2:dead:beef:0:1", "a") {
		t.Error("a fourth address of the same /64 got a fresh bucket")
	}
	if limited("2001:db8:1:3::1", "a") {
		t.Error("the neighbouring /64 shares the first one's bucket")
	}

	// IPv4: per address, and the mapped form is the same address.
	for range 3 {
		if limited("192.0.2.1", "b") {
			t.Fatal("192.0.2.1 refused within its burst")
		}
	}
	if !limited("::ffff:192.0.2.1", "b") {
		t.Error("the IPv4-mapped form escaped the IPv4 address's bucket")
	}
	if limited("192.0.2.2", "b") {
		t.Error("192.0.2.2 shares 192.0.2.1's bucket")
	}
}
