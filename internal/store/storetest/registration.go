package storetest

import (
	"context"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("Registrations",
		test{"RoundTripFull", testRegistrationRoundTripFull},
		test{"RoundTripMinimal", testRegistrationRoundTripMinimal},
		test{"Update", testRegistrationUpdate},
		test{"CompleteThenRefuseUpdate", testRegistrationComplete},
		test{"NotFound", func(t *testing.T, h *H) {
			_, err := h.S.Registrations().Lookup(context.Background(), nonexistentID())
			wantErr(t, err, store.ErrNotFound)
		}},
	)
	register("RegistrationTokens",
		test{"RoundTripFull", testRegistrationTokenRoundTripFull},
		test{"RoundTripMinimal", testRegistrationTokenRoundTripMinimal},
		test{"TokenUnique", func(t *testing.T, h *H) {
			ctx := context.Background()
			must(t, h.S.RegistrationTokens().Add(ctx, &domain.RegistrationToken{Token: "abc"}))
			wantErr(t, h.S.RegistrationTokens().Add(ctx, &domain.RegistrationToken{Token: "abc"}), store.ErrConflict)
			// Tokens are compared exactly.
			must(t, h.S.RegistrationTokens().Add(ctx, &domain.RegistrationToken{Token: "ABC"}))
		}},
		test{"NotFound", func(t *testing.T, h *H) {
			ctx := context.Background()
			must(t, h.S.RegistrationTokens().Add(ctx, &domain.RegistrationToken{Token: "abc"}))
			_, err := h.S.RegistrationTokens().Lookup(ctx, nonexistentID())
			wantErr(t, err, store.ErrNotFound)
			_, err = h.S.RegistrationTokens().FindByToken(ctx, "abd")
			wantErr(t, err, store.ErrNotFound)
			wantErr(t, h.S.RegistrationTokens().Update(ctx, &domain.RegistrationToken{ID: nonexistentID()}), store.ErrNotFound)
		}},
		test{"UsageLimit", testRegistrationTokenUsageLimit},
		test{"Unlimited", testRegistrationTokenUnlimited},
		test{"Expiry", testRegistrationTokenExpiry},
		test{"RevokeAndUnrevoke", testRegistrationTokenRevoke},
	)
	register("EmailAuthentications",
		test{"RoundTrip", testEmailAuthenticationRoundTrip},
		test{"ExactlyOneOwner", testEmailAuthenticationOwner},
		test{"Codes", testEmailAuthenticationCodes},
		test{"Complete", testEmailAuthenticationComplete},
		test{"NotFound", func(t *testing.T, h *H) {
			ctx := context.Background()
			_, err := h.S.EmailAuthentications().Lookup(ctx, nonexistentID())
			wantErr(t, err, store.ErrNotFound)
			_, err = h.S.EmailAuthentications().FindCode(ctx, nonexistentID(), "123456")
			wantErr(t, err, store.ErrNotFound)
		}},
	)
}

func sameRegistration(t *testing.T, got, want *domain.UserRegistration) {
	t.Helper()
	if got.ID != want.ID || got.Username != want.Username || got.DisplayName != want.DisplayName ||
		got.TermsURL != want.TermsURL || got.HashedPassword != want.HashedPassword ||
		got.PasswordVersion != want.PasswordVersion || got.IPAddress != want.IPAddress || got.UserAgent != want.UserAgent {
		t.Fatalf("registration = %+v\nwant %+v", got, want)
	}
	sameIDRef(t, "email authentication", got.EmailAuthenticationID, want.EmailAuthenticationID)
	sameIDRef(t, "registration token", got.RegistrationTokenID, want.RegistrationTokenID)
	sameIDRef(t, "upstream session", got.UpstreamSessionID, want.UpstreamSessionID)
	sameJSONValue(t, "post_auth_action", got.PostAuthAction, want.PostAuthAction)
	sameTime(t, "created_at", got.CreatedAt, want.CreatedAt)
	sameTimePtr(t, "completed_at", got.CompletedAt, want.CompletedAt)
}

// registrationRefs makes rows a registration can point at: an email
// authentication (of a browser session), a registration token and an
// upstream session.
func registrationRefs(t *testing.T, h *H) (emailAuth, token, upstream domain.ID) {
	t.Helper()
	ctx := context.Background()
	u := newUser(t, h, "someone")
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	a := &domain.EmailAuthentication{Email: "new@example.com", BrowserSessionID: &bs.ID}
	must(t, h.S.EmailAuthentications().Add(ctx, a))
	tok := &domain.RegistrationToken{Token: "tok-" + a.ID.String()}
	must(t, h.S.RegistrationTokens().Add(ctx, tok))
	p := newUpstreamProvider(t, h, 0)
	s := &domain.UpstreamAuthSession{ProviderID: p.ID, State: "st-" + a.ID.String()}
	must(t, h.S.UpstreamSessions().Add(ctx, s))
	return a.ID, tok.ID, s.ID
}

func testRegistrationRoundTripFull(t *testing.T, h *H) {
	ctx := context.Background()
	emailAuth, token, upstream := registrationRefs(t, h)
	h.Clock.Advance(4321 * time.Microsecond)
	r := &domain.UserRegistration{
		Username:              "alice",
		DisplayName:           "Alice Liddell ✓",
		TermsURL:              "https://example.com/tos?v=2",
		EmailAuthenticationID: &emailAuth,
		HashedPassword:        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		PasswordVersion:       2,
		RegistrationTokenID:   &token,
		UpstreamSessionID:     &upstream,
		PostAuthAction:        `{"kind":"continue_compat_sso_login","id":"01J00000000000000000000000"}`,
		IPAddress:             "2001:db8::1",
		UserAgent:             "Mozilla/5.0",
	}
	must(t, h.S.Registrations().Add(ctx, r))
	if r.ID == domain.ZeroID {
		t.Fatal("Add did not assign an ID")
	}
	sameTime(t, "created_at", r.CreatedAt, h.Clock.Now())
	sameRegistration(t, mustGet[*domain.UserRegistration](t)(h.S.Registrations().Lookup(ctx, r.ID)), r)
}

func testRegistrationRoundTripMinimal(t *testing.T, h *H) {
	ctx := context.Background()
	r := &domain.UserRegistration{Username: "bob"}
	must(t, h.S.Registrations().Add(ctx, r))
	got := mustGet[*domain.UserRegistration](t)(h.S.Registrations().Lookup(ctx, r.ID))
	sameRegistration(t, got, r)
	if got.PasswordVersion != 0 || got.CompletedAt != nil {
		t.Fatalf("empty registration came back filled: %+v", got)
	}
}

func testRegistrationUpdate(t *testing.T, h *H) {
	ctx := context.Background()
	_, token, upstream := registrationRefs(t, h)
	r := &domain.UserRegistration{Username: "alice", UpstreamSessionID: &upstream, PostAuthAction: `{"a":1}`,
		IPAddress: "192.0.2.1", UserAgent: "UA"}
	must(t, h.S.Registrations().Add(ctx, r))
	// The registration's own email authentication, as the flow makes it.
	a := &domain.EmailAuthentication{Email: "alice@example.com", UserRegistrationID: &r.ID}
	must(t, h.S.EmailAuthentications().Add(ctx, a))

	r.DisplayName = "Alice"
	r.TermsURL = "https://example.com/tos"
	r.EmailAuthenticationID = &a.ID
	r.HashedPassword = "$bcrypt$hash"
	r.PasswordVersion = 1
	r.RegistrationTokenID = &token
	must(t, h.S.Registrations().Update(ctx, r))
	sameRegistration(t, mustGet[*domain.UserRegistration](t)(h.S.Registrations().Lookup(ctx, r.ID)), r)

	// Fields can be cleared again; creation-time fields are not Update's.
	r.DisplayName = ""
	r.HashedPassword, r.PasswordVersion = "", 0
	r.RegistrationTokenID = nil
	want := *r
	r.Username, r.UserAgent, r.IPAddress, r.PostAuthAction, r.UpstreamSessionID = "mallory", "", "", "", nil
	must(t, h.S.Registrations().Update(ctx, r))
	sameRegistration(t, mustGet[*domain.UserRegistration](t)(h.S.Registrations().Lookup(ctx, r.ID)), &want)

	wantErr(t, h.S.Registrations().Update(ctx, &domain.UserRegistration{ID: nonexistentID(), Username: "x"}), store.ErrNotFound)
}

func testRegistrationComplete(t *testing.T, h *H) {
	ctx := context.Background()
	r := &domain.UserRegistration{Username: "alice"}
	must(t, h.S.Registrations().Add(ctx, r))
	stale := *r
	h.Clock.Advance(time.Minute)
	must(t, h.S.Registrations().Complete(ctx, r))
	sameTimePtr(t, "completed_at", r.CompletedAt, ptr(h.Clock.Now()))
	got := mustGet[*domain.UserRegistration](t)(h.S.Registrations().Lookup(ctx, r.ID))
	sameRegistration(t, got, r)

	wantErr(t, h.S.Registrations().Complete(ctx, got), domain.ErrInvalidTransition)
	got.DisplayName = "too late"
	wantErr(t, h.S.Registrations().Update(ctx, got), store.ErrConflict)
	// A copy read before completion is refused by the database.
	stale.DisplayName = "too late"
	wantErr(t, h.S.Registrations().Update(ctx, &stale), store.ErrConflict)
	wantErr(t, h.S.Registrations().Complete(ctx, &stale), store.ErrConflict)
	if stale.CompletedAt != nil {
		t.Fatalf("failed Complete changed the copy: %+v", stale)
	}
	again := mustGet[*domain.UserRegistration](t)(h.S.Registrations().Lookup(ctx, r.ID))
	sameRegistration(t, again, r)
}

func sameRegistrationToken(t *testing.T, got, want *domain.RegistrationToken) {
	t.Helper()
	if got.ID != want.ID || got.Token != want.Token || got.TimesUsed != want.TimesUsed {
		t.Fatalf("token = %+v\nwant %+v", got, want)
	}
	switch {
	case got.UsageLimit == nil && want.UsageLimit == nil:
	case got.UsageLimit == nil || want.UsageLimit == nil || *got.UsageLimit != *want.UsageLimit:
		t.Fatalf("usage limit = %v, want %v", got.UsageLimit, want.UsageLimit)
	}
	sameTime(t, "created_at", got.CreatedAt, want.CreatedAt)
	sameTimePtr(t, "last_used_at", got.LastUsedAt, want.LastUsedAt)
	sameTimePtr(t, "expires_at", got.ExpiresAt, want.ExpiresAt)
	sameTimePtr(t, "revoked_at", got.RevokedAt, want.RevokedAt)
}

func testRegistrationTokenRoundTripFull(t *testing.T, h *H) {
	ctx := context.Background()
	h.Clock.Advance(777 * time.Microsecond)
	tok := &domain.RegistrationToken{
		Token:      "Sup3r-Secret_token",
		UsageLimit: ptr(5),
		TimesUsed:  3,
		LastUsedAt: ptr(Start.Add(-time.Hour + time.Microsecond)),
		ExpiresAt:  ptr(Start.Add(48*time.Hour + 3*time.Microsecond)),
		RevokedAt:  ptr(Start.Add(-time.Minute)),
	}
	must(t, h.S.RegistrationTokens().Add(ctx, tok))
	if tok.ID == domain.ZeroID {
		t.Fatal("Add did not assign an ID")
	}
	sameTime(t, "created_at", tok.CreatedAt, h.Clock.Now())
	sameRegistrationToken(t, mustGet[*domain.RegistrationToken](t)(h.S.RegistrationTokens().Lookup(ctx, tok.ID)), tok)
	sameRegistrationToken(t, mustGet[*domain.RegistrationToken](t)(h.S.RegistrationTokens().FindByToken(ctx, tok.Token)), tok)
}

func testRegistrationTokenRoundTripMinimal(t *testing.T, h *H) {
	ctx := context.Background()
	tok := &domain.RegistrationToken{Token: "t"}
	must(t, h.S.RegistrationTokens().Add(ctx, tok))
	got := mustGet[*domain.RegistrationToken](t)(h.S.RegistrationTokens().Lookup(ctx, tok.ID))
	sameRegistrationToken(t, got, tok)
	if !got.Valid(h.Clock.Now()) {
		t.Fatalf("fresh token is invalid: %+v", got)
	}
	// A limit of zero is a limit, not "unlimited".
	zero := &domain.RegistrationToken{Token: "zero", UsageLimit: ptr(0)}
	must(t, h.S.RegistrationTokens().Add(ctx, zero))
	sameRegistrationToken(t, mustGet[*domain.RegistrationToken](t)(h.S.RegistrationTokens().Lookup(ctx, zero.ID)), zero)
}

func testRegistrationTokenUsageLimit(t *testing.T, h *H) {
	ctx := context.Background()
	tok := &domain.RegistrationToken{Token: "twice", UsageLimit: ptr(2)}
	must(t, h.S.RegistrationTokens().Add(ctx, tok))
	stale := *tok

	h.Clock.Advance(time.Minute)
	must(t, h.S.RegistrationTokens().Use(ctx, tok))
	h.Clock.Advance(time.Minute)
	must(t, h.S.RegistrationTokens().Use(ctx, tok))
	if tok.TimesUsed != 2 {
		t.Fatalf("times used = %d", tok.TimesUsed)
	}
	sameTimePtr(t, "last_used_at", tok.LastUsedAt, ptr(h.Clock.Now()))
	got := mustGet[*domain.RegistrationToken](t)(h.S.RegistrationTokens().Lookup(ctx, tok.ID))
	sameRegistrationToken(t, got, tok)
	if got.Valid(h.Clock.Now()) {
		t.Fatal("exhausted token is valid")
	}
	wantErr(t, h.S.RegistrationTokens().Use(ctx, got), domain.ErrInvalidTransition)
	// A copy read before the uses still looks valid; the database says no.
	wantErr(t, h.S.RegistrationTokens().Use(ctx, &stale), store.ErrConflict)
	if stale.TimesUsed != 0 || stale.LastUsedAt != nil {
		t.Fatalf("failed Use changed the copy: %+v", stale)
	}
	sameRegistrationToken(t, mustGet[*domain.RegistrationToken](t)(h.S.RegistrationTokens().Lookup(ctx, tok.ID)), tok)

	// Raising the limit makes it usable again.
	got.UsageLimit = ptr(3)
	must(t, h.S.RegistrationTokens().Update(ctx, got))
	must(t, h.S.RegistrationTokens().Use(ctx, got))
	if got.TimesUsed != 3 {
		t.Fatalf("times used = %d", got.TimesUsed)
	}
}

func testRegistrationTokenUnlimited(t *testing.T, h *H) {
	ctx := context.Background()
	tok := &domain.RegistrationToken{Token: "open"}
	must(t, h.S.RegistrationTokens().Add(ctx, tok))
	stale := *tok
	for range 5 {
		must(t, h.S.RegistrationTokens().Use(ctx, tok))
	}
	// An unlimited token accepts a stale copy too, and reports the real count.
	must(t, h.S.RegistrationTokens().Use(ctx, &stale))
	if stale.TimesUsed != 6 {
		t.Fatalf("times used after stale use = %d, want 6", stale.TimesUsed)
	}
	got := mustGet[*domain.RegistrationToken](t)(h.S.RegistrationTokens().FindByToken(ctx, "open"))
	if got.TimesUsed != 6 {
		t.Fatalf("stored times used = %d, want 6", got.TimesUsed)
	}
}

func testRegistrationTokenExpiry(t *testing.T, h *H) {
	ctx := context.Background()
	expires := Start.Add(time.Hour)
	tok := &domain.RegistrationToken{Token: "soon", ExpiresAt: &expires}
	must(t, h.S.RegistrationTokens().Add(ctx, tok))
	h.Clock.Set(expires.Add(-time.Microsecond))
	must(t, h.S.RegistrationTokens().Use(ctx, tok))
	h.Clock.Set(expires)
	wantErr(t, h.S.RegistrationTokens().Use(ctx, tok), domain.ErrInvalidTransition)

	// The database checks expiry against the store clock even when the
	// caller's copy predates the expiry being set.
	other := &domain.RegistrationToken{Token: "later"}
	must(t, h.S.RegistrationTokens().Add(ctx, other))
	stale := *other
	other.ExpiresAt = ptr(h.Clock.Now())
	must(t, h.S.RegistrationTokens().Update(ctx, other))
	wantErr(t, h.S.RegistrationTokens().Use(ctx, &stale), store.ErrConflict)

	// Extending the expiry makes it usable again.
	other.ExpiresAt = ptr(h.Clock.Now().Add(time.Hour))
	must(t, h.S.RegistrationTokens().Update(ctx, other))
	must(t, h.S.RegistrationTokens().Use(ctx, other))
	other.ExpiresAt = nil
	must(t, h.S.RegistrationTokens().Update(ctx, other))
	h.Clock.Advance(1000 * time.Hour)
	must(t, h.S.RegistrationTokens().Use(ctx, other))
	sameRegistrationToken(t, mustGet[*domain.RegistrationToken](t)(h.S.RegistrationTokens().Lookup(ctx, other.ID)), other)
}

func testRegistrationTokenRevoke(t *testing.T, h *H) {
	ctx := context.Background()
	tok := &domain.RegistrationToken{Token: "tok", UsageLimit: ptr(10)}
	must(t, h.S.RegistrationTokens().Add(ctx, tok))
	stale := *tok
	h.Clock.Advance(time.Minute)
	tok.RevokedAt = ptr(h.Clock.Now())
	must(t, h.S.RegistrationTokens().Update(ctx, tok))
	got := mustGet[*domain.RegistrationToken](t)(h.S.RegistrationTokens().Lookup(ctx, tok.ID))
	sameRegistrationToken(t, got, tok)
	wantErr(t, h.S.RegistrationTokens().Use(ctx, got), domain.ErrInvalidTransition)
	wantErr(t, h.S.RegistrationTokens().Use(ctx, &stale), store.ErrConflict)

	got.RevokedAt = nil
	got.UsageLimit = nil
	must(t, h.S.RegistrationTokens().Update(ctx, got))
	must(t, h.S.RegistrationTokens().Use(ctx, got))
	sameRegistrationToken(t, mustGet[*domain.RegistrationToken](t)(h.S.RegistrationTokens().Lookup(ctx, tok.ID)), got)
}

func sameEmailAuthentication(t *testing.T, got, want *domain.EmailAuthentication) {
	t.Helper()
	if got.ID != want.ID || got.Email != want.Email {
		t.Fatalf("email authentication = %+v\nwant %+v", got, want)
	}
	sameIDRef(t, "browser session", got.BrowserSessionID, want.BrowserSessionID)
	sameIDRef(t, "registration", got.UserRegistrationID, want.UserRegistrationID)
	sameTime(t, "created_at", got.CreatedAt, want.CreatedAt)
	sameTimePtr(t, "completed_at", got.CompletedAt, want.CompletedAt)
}

func testEmailAuthenticationRoundTrip(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	r := &domain.UserRegistration{Username: "bob"}
	must(t, h.S.Registrations().Add(ctx, r))
	h.Clock.Advance(99 * time.Microsecond)
	forSession := &domain.EmailAuthentication{Email: "Alice@Example.com", BrowserSessionID: &bs.ID}
	must(t, h.S.EmailAuthentications().Add(ctx, forSession))
	sameTime(t, "created_at", forSession.CreatedAt, h.Clock.Now())
	forRegistration := &domain.EmailAuthentication{Email: "bob@example.com", UserRegistrationID: &r.ID}
	must(t, h.S.EmailAuthentications().Add(ctx, forRegistration))
	for _, want := range []*domain.EmailAuthentication{forSession, forRegistration} {
		sameEmailAuthentication(t, mustGet[*domain.EmailAuthentication](t)(h.S.EmailAuthentications().Lookup(ctx, want.ID)), want)
	}
}

func testEmailAuthenticationOwner(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	r := &domain.UserRegistration{Username: "bob"}
	must(t, h.S.Registrations().Add(ctx, r))
	if err := h.S.EmailAuthentications().Add(ctx, &domain.EmailAuthentication{Email: "a@example.com"}); err == nil {
		t.Fatal("email authentication without an owner was stored")
	}
	both := &domain.EmailAuthentication{Email: "a@example.com", BrowserSessionID: &bs.ID, UserRegistrationID: &r.ID}
	if err := h.S.EmailAuthentications().Add(ctx, both); err == nil {
		t.Fatal("email authentication with two owners was stored")
	}
}

func testEmailAuthenticationCodes(t *testing.T, h *H) {
	ctx := context.Background()
	r := &domain.UserRegistration{Username: "bob"}
	must(t, h.S.Registrations().Add(ctx, r))
	a := &domain.EmailAuthentication{Email: "bob@example.com", UserRegistrationID: &r.ID}
	must(t, h.S.EmailAuthentications().Add(ctx, a))
	b := &domain.EmailAuthentication{Email: "bob2@example.com", UserRegistrationID: &r.ID}
	must(t, h.S.EmailAuthentications().Add(ctx, b))

	h.Clock.Advance(time.Second)
	// Nanoseconds are dropped: stores keep microseconds.
	expires := h.Clock.Now().Add(5*time.Minute + 1500*time.Nanosecond)
	c := mustGet[*domain.EmailAuthenticationCode](t)(h.S.EmailAuthentications().AddCode(ctx, a.ID, "012345", expires))
	if c.EmailAuthenticationID != a.ID || c.Code != "012345" {
		t.Fatalf("code = %+v", c)
	}
	sameTime(t, "created_at", c.CreatedAt, h.Clock.Now())
	sameTime(t, "expires_at", c.ExpiresAt, expires.Truncate(time.Microsecond))
	got := mustGet[*domain.EmailAuthenticationCode](t)(h.S.EmailAuthentications().FindCode(ctx, a.ID, "012345"))
	if got.ID != c.ID || got.EmailAuthenticationID != a.ID || got.Code != "012345" {
		t.Fatalf("found code = %+v, want %+v", got, c)
	}
	sameTime(t, "stored created_at", got.CreatedAt, c.CreatedAt)
	sameTime(t, "stored expires_at", got.ExpiresAt, c.ExpiresAt)

	_, err := h.S.EmailAuthentications().AddCode(ctx, a.ID, "012345", expires)
	wantErr(t, err, store.ErrConflict)
	second := mustGet[*domain.EmailAuthenticationCode](t)(h.S.EmailAuthentications().AddCode(ctx, a.ID, "999999", expires))
	// The same code for another authentication is a different code.
	mustGet[*domain.EmailAuthenticationCode](t)(h.S.EmailAuthentications().AddCode(ctx, b.ID, "012345", expires))

	_, err = h.S.EmailAuthentications().FindCode(ctx, a.ID, "12345")
	wantErr(t, err, store.ErrNotFound)
	_, err = h.S.EmailAuthentications().FindCode(ctx, b.ID, "999999")
	wantErr(t, err, store.ErrNotFound)
	// Lookup ignores expiry; callers check it.
	h.Clock.Advance(time.Hour)
	if got := mustGet[*domain.EmailAuthenticationCode](t)(h.S.EmailAuthentications().FindCode(ctx, a.ID, "999999")); got.ID != second.ID {
		t.Fatalf("found %v, want %v", got.ID, second.ID)
	}
}

func testEmailAuthenticationComplete(t *testing.T, h *H) {
	ctx := context.Background()
	u := newUser(t, h, "alice")
	bs := mustGet[*domain.BrowserSession](t)(h.S.BrowserSessions().Add(ctx, u.ID, ""))
	a := &domain.EmailAuthentication{Email: "a@example.com", BrowserSessionID: &bs.ID}
	must(t, h.S.EmailAuthentications().Add(ctx, a))
	stale := *a
	h.Clock.Advance(time.Minute)
	must(t, h.S.EmailAuthentications().Complete(ctx, a))
	sameTimePtr(t, "completed_at", a.CompletedAt, ptr(h.Clock.Now()))
	got := mustGet[*domain.EmailAuthentication](t)(h.S.EmailAuthentications().Lookup(ctx, a.ID))
	sameEmailAuthentication(t, got, a)
	wantErr(t, h.S.EmailAuthentications().Complete(ctx, got), store.ErrConflict)
	wantErr(t, h.S.EmailAuthentications().Complete(ctx, &stale), store.ErrConflict)
	if stale.CompletedAt != nil {
		t.Fatalf("failed Complete changed the copy: %+v", stale)
	}
	sameEmailAuthentication(t, mustGet[*domain.EmailAuthentication](t)(h.S.EmailAuthentications().Lookup(ctx, a.ID)), a)
}
