package ratelimit

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func mustNew(t *testing.T, burst int, perSecond float64, opts Options) *Limiter {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	l, err := New(burst, perSecond, opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestBurstThenRefill(t *testing.T) {
	l := mustNew(t, 3, 0.05, Options{}) // one cell every 20 s
	for i := range 3 {
		if !l.AllowAt("k", t0) {
			t.Fatalf("request %d of the burst denied", i+1)
		}
	}
	ok, retry := l.CheckAt("k", t0)
	if ok || retry != 20*time.Second {
		t.Fatalf("4th request: ok=%v retry=%v, want denied, retry 20s", ok, retry)
	}
	// Denied requests consume nothing: still exactly 20 s to wait.
	if ok, retry := l.CheckAt("k", t0.Add(5*time.Second)); ok || retry != 15*time.Second {
		t.Fatalf("at +5s: ok=%v retry=%v, want denied, retry 15s", ok, retry)
	}
	if !l.AllowAt("k", t0.Add(20*time.Second)) {
		t.Fatal("one cell should have refilled after 20s")
	}
	if l.AllowAt("k", t0.Add(20*time.Second)) {
		t.Fatal("only one cell refills in 20s")
	}
	// After a full refill period the whole burst is back, and no more.
	later := t0.Add(20*time.Second + 60*time.Second)
	for i := range 3 {
		if !l.AllowAt("k", later) {
			t.Fatalf("refilled burst: request %d denied", i+1)
		}
	}
	if l.AllowAt("k", later) {
		t.Fatal("bucket holds more than its burst")
	}
}

func TestKeysAreIndependent(t *testing.T) {
	l := mustNew(t, 1, 1, Options{})
	if !l.AllowAt("a", t0) || l.AllowAt("a", t0) {
		t.Fatal("key a: want one allowed then denied")
	}
	if !l.AllowAt("b", t0) {
		t.Fatal("key b is limited by key a")
	}
}

func TestAllowUsesInjectedClock(t *testing.T) {
	clock := &fakeClock{t: t0}
	l := mustNew(t, 2, 1.0/60, Options{Now: clock.Now})
	if !l.Allow("k") || !l.Allow("k") || l.Allow("k") {
		t.Fatal("want two allowed then denied")
	}
	clock.Advance(59 * time.Second)
	if l.Allow("k") {
		t.Fatal("allowed before the cell refilled")
	}
	clock.Advance(time.Second)
	if !l.Allow("k") {
		t.Fatal("denied after the cell refilled")
	}
	if ok, retry := l.Check("k"); ok || retry != time.Minute {
		t.Fatalf("Check = %v, %v", ok, retry)
	}
}

func TestIdleKeysAreEvicted(t *testing.T) {
	l := mustNew(t, 2, 1, Options{SweepInterval: 10 * time.Second})
	for i := range 1000 {
		l.AllowAt(fmt.Sprint("ip-", i), t0)
	}
	l.AllowAt("busy", t0)
	if got := l.Len(); got != 1001 {
		t.Fatalf("Len = %d, want 1001", got)
	}
	// One cell refills in 1 s, so every key is idle after 1 s; the shards
	// sweep themselves once the interval has passed and they are touched.
	at := t0.Add(11 * time.Second)
	for i := range 200 {
		l.AllowAt(fmt.Sprint("new-", i), at)
	}
	if got := l.Len(); got > 200+1000/2 {
		t.Errorf("Len after self-sweep = %d: idle keys linger", got)
	}
	l.SweepAt(at)
	if got := l.Len(); got != 200 {
		t.Errorf("Len after Sweep = %d, want 200 (only the new keys)", got)
	}
	// An evicted key behaves exactly like one with a full bucket.
	if !l.AllowAt("busy", at) || !l.AllowAt("busy", at) || l.AllowAt("busy", at) {
		t.Error("evicted key does not start from a full bucket")
	}
	// A limited key is never swept before its bucket is full.
	l.SweepAt(at.Add(500 * time.Millisecond))
	if l.AllowAt("busy", at.Add(500*time.Millisecond)) {
		t.Error("sweeping forgot a key that was still limited")
	}
}

func TestMaxKeysBoundsMemory(t *testing.T) {
	// Slow refill, so no key is idle: the bound must hold anyway.
	l := mustNew(t, 1, 1.0/3600, Options{MaxKeys: 1600})
	for i := range 50000 {
		l.AllowAt(fmt.Sprint("ip-", i), t0.Add(time.Duration(i)*time.Millisecond))
	}
	if got := l.Len(); got > 1600 {
		t.Fatalf("Len = %d, want at most 1600", got)
	}
	// The most recent keys are kept: they are the furthest from a full bucket.
	last := t0.Add(50000 * time.Millisecond)
	if l.AllowAt("ip-49999", last) {
		t.Error("the newest key was evicted")
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		burst     int
		perSecond float64
		opts      Options
		want      string
	}{
		{0, 1, Options{}, "burst 0"},
		{1, 0, Options{}, "positive"},
		{1, -1, Options{}, "positive"},
		{1, math.NaN(), Options{}, "positive"},
		{1, 1e10, Options{}, "nanosecond"},
		{1000, 1e-9, Options{}, "to refill"},
		{1, 1, Options{MaxKeys: -1}, "max keys"},
		{1, 1, Options{SweepInterval: -1}, "sweep interval"},
	}
	for _, tt := range tests {
		_, err := New(tt.burst, tt.perSecond, tt.opts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%d, %v) = %v, want error mentioning %q", tt.burst, tt.perSecond, err, tt.want)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	l := mustNew(t, 100, 1e-3, Options{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if l.AllowAt("shared", t0) {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if allowed != 100 {
		t.Errorf("allowed %d of 400 concurrent requests, want exactly the burst of 100", allowed)
	}
}

func TestDefaults(t *testing.T) {
	s, err := NewSet(Config{}, Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		l         *Limiter
		burst     int
		perSecond float64
	}{
		{"login.per_ip", s.LoginPerIP, 3, 0.05},
		{"login.per_account", s.LoginPerAccount, 1800, 0.5},
		{"registration", s.Registration, 3, 0.000833},
		{"account_recovery.per_ip", s.AccountRecoveryPerIP, 3, 0.000833},
		{"account_recovery.per_address", s.AccountRecoveryPerAddress, 3, 0.000278},
		{"email_authentication.per_ip", s.EmailAuthenticationPerIP, 5, 0.01667},
		{"email_authentication.per_address", s.EmailAuthenticationPerAddress, 3, 0.000278},
		{"email_authentication.emails_per_session", s.EmailAuthenticationEmailsPerSession, 2, 0.00333},
		{"email_authentication.attempt_per_session", s.EmailAuthenticationAttemptPerSession, 10, 0.01667},
		{"device_code_link.per_ip", s.DeviceCodeLinkPerIP, 10, 1.0 / 60},
	}
	for _, tt := range tests {
		if tt.l.Burst() != tt.burst {
			t.Errorf("%s: burst %d, want %d", tt.name, tt.l.Burst(), tt.burst)
		}
		got := 1 / tt.l.Interval().Seconds()
		if d := got/tt.perSecond - 1; d > 0.002 || d < -0.002 {
			t.Errorf("%s: per_second %v, want %v", tt.name, got, tt.perSecond)
		}
	}

	custom, err := NewSet(Config{LoginPerIP: Rate{Burst: 7, PerSecond: 2}}, Options{})
	if err != nil || custom.LoginPerIP.Burst() != 7 || custom.LoginPerIP.Interval() != 500*time.Millisecond {
		t.Errorf("configured rate not applied: %v", err)
	}
	if custom.Registration.Burst() != 3 {
		t.Error("unset rate did not fall back to the default")
	}
	if _, err := NewSet(Config{Registration: Rate{Burst: 0, PerSecond: 1}}, Options{}); err == nil ||
		!strings.Contains(err.Error(), "rate_limiting.registration") {
		t.Errorf("invalid rate: %v", err)
	}
}

// The scenario of upstream's password-check test: the per-IP limit hits
// first, other IPs can continue until the account's own limit is reached,
// and other accounts are unaffected.
func TestCheckPassword(t *testing.T) {
	clock := &fakeClock{t: t0}
	s, err := NewSet(DefaultConfig(), Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ip := func(i int) netip.Addr {
		return netip.AddrFrom4([4]byte{byte(i / 3), byte(i / 3), byte(i % 3), byte(i % 3)})
	}

	for range 3 {
		if err := s.CheckPassword(ip(0), "alice"); err != nil {
			t.Fatal(err)
		}
	}
	err = s.CheckPassword(ip(0), "alice")
	var le *LimitedError
	if !errors.Is(err, ErrLimited) || !errors.As(err, &le) || le.Limiter != "login.per_ip" || le.Key != "0.0.0.0" {
		t.Fatalf("4th attempt from one IP = %v", err)
	}
	if err := s.CheckPassword(ip(0), "bob"); err == nil {
		t.Fatal("the IP limit must apply across accounts")
	}
	if err := s.CheckPassword(ip(1), "alice"); err != nil {
		t.Fatalf("another IP: %v", err)
	}
	// 4 cells of alice's 1800 are used; spread the rest over other IPs. The
	// fourth try of each IP is refused per IP and costs the account nothing.
	for i := 2; i < 600; i++ {
		for range 3 {
			if err := s.CheckPassword(ip(i), "alice"); err != nil {
				t.Fatalf("ip %d: %v", i, err)
			}
		}
		if err := s.CheckPassword(ip(i), "alice"); !errors.As(err, &le) || le.Limiter != "login.per_ip" {
			t.Fatalf("ip %d 4th: %v", i, err)
		}
	}
	if s.CheckPassword(ip(600), "alice") != nil || s.CheckPassword(ip(601), "alice") != nil {
		t.Fatal("cells 1799 and 1800 should be available")
	}
	err = s.CheckPassword(ip(602), "alice")
	if !errors.As(err, &le) || le.Limiter != "login.per_account" || le.RetryAfter != 2*time.Second {
		t.Fatalf("account limit = %v", err)
	}
	if err := s.CheckPassword(ip(603), "bob"); err != nil {
		t.Fatalf("bob is limited by alice: %v", err)
	}
	clock.Advance(2 * time.Second)
	if err := s.CheckPassword(ip(604), "alice"); err != nil {
		t.Fatalf("after 2s one account cell refilled: %v", err)
	}
}

func TestRequesterAndEmailKeys(t *testing.T) {
	tests := []struct {
		ip   netip.Addr
		want string
	}{
		{netip.Addr{}, "(no client ip)"},
		{netip.MustParseAddr("192.0.2.1"), "192.0.2.1"},
		{netip.MustParseAddr("::ffff:192.0.2.1"), "192.0.2.1"},
		{netip.MustParseAddr("fe80::1%eth0"), "fe80::/64"},
		{netip.MustParseAddr("2001:db8::1"), "2001:db8::/64"},
		{netip.MustParseAddr("2001:db8:0:1:aaaa:bbbb:cccc:dddd"), "2001:db8:0:1::/64"},
		{netip.MustParseAddr("::1"), "::/64"},
	}
	for _, tt := range tests {
		if got := RequesterKey(tt.ip); got != tt.want {
			t.Errorf("RequesterKey(%v) = %q, want %q", tt.ip, got, tt.want)
		}
	}

	s, _ := NewSet(Config{AccountRecoveryPerIP: Rate{100, 1}}, Options{Now: func() time.Time { return t0 }})
	for i, addr := range []string{"Alice@Example.org", "alice@example.org", "ALICE@EXAMPLE.ORG"} {
		if err := s.CheckAccountRecovery(netip.Addr{}, addr); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	err := s.CheckAccountRecovery(netip.Addr{}, "aLiCe@example.org")
	var le *LimitedError
	if !errors.As(err, &le) || le.Limiter != "account_recovery.per_address" {
		t.Fatalf("case variants escape the per-address limit: %v", err)
	}
}

func TestEmailAuthentication(t *testing.T) {
	s, err := NewSet(Config{}, Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	ip := netip.MustParseAddr("198.51.100.7")
	// Two codes per session, even with addresses and IPs to spare.
	if s.CheckEmailAuthenticationSendCode(ip, "a@example.org", "sess") != nil ||
		s.CheckEmailAuthenticationSendCode(netip.MustParseAddr("198.51.100.8"), "b@example.org", "sess") != nil {
		t.Fatal("first two codes refused")
	}
	var le *LimitedError
	if err := s.CheckEmailAuthenticationSendCode(netip.MustParseAddr("198.51.100.9"), "c@example.org", "sess"); !errors.As(err, &le) ||
		le.Limiter != "email_authentication.emails_per_session" {
		t.Fatalf("third code = %v", err)
	}
	for range 10 {
		if err := s.CheckEmailAuthenticationAttempt("sess"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CheckEmailAuthenticationAttempt("sess"); !errors.As(err, &le) || le.Limiter != "email_authentication.attempt_per_session" {
		t.Fatalf("11th attempt = %v", err)
	}
	for range 10 {
		if err := s.CheckDeviceCodeLink(ip); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CheckDeviceCodeLink(ip); !errors.As(err, &le) || le.RetryAfter != time.Minute {
		t.Fatalf("11th device code = %v", err)
	}
	if err := s.CheckRegistration(ip); err != nil {
		t.Fatal(err)
	}
	s.Sweep()
}
