package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

func init() {
	register("PolicyData",
		test{"EmptyHasNoLatest", func(t *testing.T, h *H) {
			ctx := context.Background()
			_, err := h.S.PolicyData().Latest(ctx)
			wantErr(t, err, store.ErrNotFound)
			_, err = h.S.PolicyData().Lookup(ctx, nonexistentID())
			wantErr(t, err, store.ErrNotFound)
			if n := mustGet[int](t)(h.S.PolicyData().Prune(ctx, 1)); n != 0 {
				t.Fatalf("pruned %d from an empty store", n)
			}
		}},
		test{"RoundTripAndLatest", testPolicyDataLatest},
		test{"SameMillisecond", testPolicyDataSameMillisecond},
		test{"Prune", testPolicyDataPrune},
		test{"MalformedRejected", func(t *testing.T, h *H) {
			ctx := context.Background()
			for _, bad := range []string{"", "{", "{'a': 1}", `{"a": }`} {
				if _, err := h.S.PolicyData().Add(ctx, bad); err == nil {
					t.Fatalf("malformed policy data %q was stored", bad)
				}
			}
			_, err := h.S.PolicyData().Latest(ctx)
			wantErr(t, err, store.ErrNotFound)
		}},
	)
}

func samePolicyData(t *testing.T, got, want *domain.PolicyData) {
	t.Helper()
	if got.ID != want.ID {
		t.Fatalf("policy data %v, want %v", got.ID, want.ID)
	}
	sameJSONValue(t, "policy data", got.Data, want.Data)
	sameTime(t, "created_at", got.CreatedAt, want.CreatedAt)
}

func testPolicyDataLatest(t *testing.T, h *H) {
	ctx := context.Background()
	h.Clock.Advance(321 * time.Microsecond)
	first := mustGet[*domain.PolicyData](t)(h.S.PolicyData().Add(ctx,
		`{"emails": {"allowed_addresses": {"suffixes": ["@example.com"]}}, "requester": {"admin_users": ["alice"]}, "n": 1.5}`))
	sameTime(t, "created_at", first.CreatedAt, h.Clock.Now())
	samePolicyData(t, mustGet[*domain.PolicyData](t)(h.S.PolicyData().Lookup(ctx, first.ID)), first)
	samePolicyData(t, mustGet[*domain.PolicyData](t)(h.S.PolicyData().Latest(ctx)), first)

	h.Clock.Advance(time.Hour)
	second := mustGet[*domain.PolicyData](t)(h.S.PolicyData().Add(ctx, `{}`))
	samePolicyData(t, mustGet[*domain.PolicyData](t)(h.S.PolicyData().Latest(ctx)), second)
	samePolicyData(t, mustGet[*domain.PolicyData](t)(h.S.PolicyData().Lookup(ctx, first.ID)), first)
}

func testPolicyDataSameMillisecond(t *testing.T, h *H) {
	ctx := context.Background()
	var last *domain.PolicyData
	for i := range 20 {
		h.Clock.Advance(time.Microsecond)
		last = mustGet[*domain.PolicyData](t)(h.S.PolicyData().Add(ctx, fmt.Sprintf(`{"v":%d}`, i)))
	}
	samePolicyData(t, mustGet[*domain.PolicyData](t)(h.S.PolicyData().Latest(ctx)), last)
}

func testPolicyDataPrune(t *testing.T, h *H) {
	ctx := context.Background()
	var all []*domain.PolicyData
	for i := range 6 {
		h.Clock.Advance(time.Minute)
		all = append(all, mustGet[*domain.PolicyData](t)(h.S.PolicyData().Add(ctx, fmt.Sprintf(`{"v":%d}`, i))))
	}
	if _, err := h.S.PolicyData().Prune(ctx, -1); err == nil {
		t.Fatal("Prune(-1) succeeded")
	}
	if n := mustGet[int](t)(h.S.PolicyData().Prune(ctx, 10)); n != 0 {
		t.Fatalf("Prune(10) of 6 deleted %d", n)
	}
	if n := mustGet[int](t)(h.S.PolicyData().Prune(ctx, 2)); n != 4 {
		t.Fatalf("Prune(2) of 6 deleted %d", n)
	}
	for i, p := range all {
		_, err := h.S.PolicyData().Lookup(ctx, p.ID)
		if i < 4 {
			wantErr(t, err, store.ErrNotFound)
		} else {
			must(t, err)
		}
	}
	samePolicyData(t, mustGet[*domain.PolicyData](t)(h.S.PolicyData().Latest(ctx)), all[5])
	if n := mustGet[int](t)(h.S.PolicyData().Prune(ctx, 2)); n != 0 {
		t.Fatalf("second Prune(2) deleted %d", n)
	}
	if n := mustGet[int](t)(h.S.PolicyData().Prune(ctx, 0)); n != 2 {
		t.Fatalf("Prune(0) deleted %d", n)
	}
	_, err := h.S.PolicyData().Latest(ctx)
	wantErr(t, err, store.ErrNotFound)
}
