package storetest

import (
	"context"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("EmailAuthenticationLatestCode",
		test{"ExpiresLast", testEmailAuthenticationLatestCode},
	)
}

// LatestCode is the code that expires last, whatever the order the codes
// were added in, and only among the authentication's own codes.
func testEmailAuthenticationLatestCode(t *testing.T, h *H) {
	ctx := context.Background()
	r := &domain.UserRegistration{Username: "carol"}
	must(t, h.S.Registrations().Add(ctx, r))
	a := &domain.EmailAuthentication{Email: "carol@example.com", UserRegistrationID: &r.ID}
	must(t, h.S.EmailAuthentications().Add(ctx, a))
	other := &domain.EmailAuthentication{Email: "carol2@example.com", UserRegistrationID: &r.ID}
	must(t, h.S.EmailAuthentications().Add(ctx, other))

	_, err := h.S.EmailAuthentications().LatestCode(ctx, a.ID)
	wantErr(t, err, store.ErrNotFound)

	now := h.Clock.Now()
	mustGet[*domain.EmailAuthenticationCode](t)(h.S.EmailAuthentications().AddCode(ctx, a.ID, "111111", now.Add(5*time.Minute)))
	h.Clock.Advance(time.Second)
	latest := mustGet[*domain.EmailAuthenticationCode](t)(h.S.EmailAuthentications().AddCode(ctx, a.ID, "222222", now.Add(6*time.Minute)))
	h.Clock.Advance(time.Second)
	// Added later but expiring sooner.
	mustGet[*domain.EmailAuthenticationCode](t)(h.S.EmailAuthentications().AddCode(ctx, a.ID, "333333", now.Add(4*time.Minute)))
	mustGet[*domain.EmailAuthenticationCode](t)(h.S.EmailAuthentications().AddCode(ctx, other.ID, "444444", now.Add(time.Hour)))

	got := mustGet[*domain.EmailAuthenticationCode](t)(h.S.EmailAuthentications().LatestCode(ctx, a.ID))
	if got.ID != latest.ID || got.Code != "222222" || got.EmailAuthenticationID != a.ID {
		t.Fatalf("latest code = %+v, want %+v", got, latest)
	}
	sameTime(t, "expires_at", got.ExpiresAt, latest.ExpiresAt)
	sameTime(t, "created_at", got.CreatedAt, latest.CreatedAt)

	// Expiry does not hide it: the caller decides.
	h.Clock.Advance(time.Hour)
	if got := mustGet[*domain.EmailAuthenticationCode](t)(h.S.EmailAuthentications().LatestCode(ctx, a.ID)); got.ID != latest.ID {
		t.Fatalf("after expiry: %+v", got)
	}
}
