package storetest

import (
	"context"
	"testing"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("UserEmailsPage", test{"FiltersAndCursors", testUserEmailListPage})
}

func testUserEmailListPage(t *testing.T, h *H) {
	ctx := context.Background()
	alice, bob := newUser(t, h, "alice"), newUser(t, h, "bob")
	repo := h.S.UserEmails()
	var ids []domain.ID
	for _, e := range []struct {
		user  *domain.User
		email string
	}{{alice, "alice@example.com"}, {bob, "Bob@Example.com"}, {alice, "alice@work.example"}, {bob, "bob_x@example.com"}} {
		stamp(h)
		ids = append(ids, mustGet[*domain.UserEmail](t)(repo.Add(ctx, e.user.ID, e.email)).ID)
	}
	checkPage(t, []pageCase[store.UserEmailFilter]{
		{"all", store.UserEmailFilter{}, []int{0, 1, 2, 3}},
		{"user", store.UserEmailFilter{UserID: alice.ID}, []int{0, 2}},
		{"email", store.UserEmailFilter{Email: "alice@example.com"}, []int{0}},
		{"email ignores case", store.UserEmailFilter{Email: "bob@example.COM"}, []int{1}},
		{"email is not a pattern", store.UserEmailFilter{Email: "bob%"}, nil},
		{"both", store.UserEmailFilter{UserID: bob.ID, Email: "alice@example.com"}, nil},
	}, ids, func(e *domain.UserEmail) domain.ID { return e.ID }, repo.ListPage, repo.CountFiltered)
}
