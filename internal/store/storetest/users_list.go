package storetest

import (
	"context"
	"slices"
	"testing"

	"mas/internal/domain"
)

func init() {
	register("UsersList", test{"ListAfterPages", testUserListAfter})
}

// testUserListAfter walks every user in pages, in ID order.
func testUserListAfter(t *testing.T, h *H) {
	ctx := context.Background()
	var want []domain.ID
	for _, name := range []string{"alice", "bob", "carol", "dave", "erin"} {
		want = append(want, newUser(t, h, name).ID)
	}
	// Users created in the same millisecond need not get ascending IDs.
	slices.SortFunc(want, domain.ID.Compare)
	var got []domain.ID
	var after domain.ID
	for {
		page := mustGet[[]*domain.User](t)(h.S.Users().ListAfter(ctx, after, 2))
		if len(page) > 2 {
			t.Fatalf("page of %d users, limit 2", len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, u := range page {
			got = append(got, u.ID)
		}
		after = page[len(page)-1].ID
	}
	if len(got) != len(want) {
		t.Fatalf("walked %d users, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("user %d is %s, want %s (IDs must come in order)", i, got[i], want[i])
		}
	}
}
