package storetest

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

// filterCase is one filter and the keys of the rows it lists.
type filterCase[F any, K comparable] struct {
	name string
	f    F
	want []K
}

// checkFiltered lists (one page of up to 100 rows) and counts each case,
// comparing the keys of the listed rows with want.
func checkFiltered[F, T any, K comparable](t *testing.T, cases []filterCase[F, K], keys func([]*T) []K,
	list func(context.Context, F, store.Page) ([]*T, error), count func(context.Context, F) (int, error)) {
	t.Helper()
	ctx := context.Background()
	for _, c := range cases {
		got := keys(mustGet[[]*T](t)(list(ctx, c.f, store.Page{Limit: 100})))
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		if n, err := count(ctx, c.f); err != nil || n != len(c.want) {
			t.Errorf("%s: count %d (%v), want %d", c.name, n, err, len(c.want))
		}
	}
}

// keysOf is the key of each row, in listing order.
func keysOf[T, K any](rows []*T, key func(*T) K) []K {
	var out []K
	for _, row := range rows {
		out = append(out, key(row))
	}
	return out
}

// sortedKeys is the keys of the rows, sorted.
func sortedKeys[T any, K cmp.Ordered](rows []*T, key func(*T) K) []K {
	out := keysOf(rows, key)
	slices.Sort(out)
	return out
}

// pageCase is one filter and the rows (by index in creation order) it
// selects; checkPage lists and counts it.
type pageCase[F any] struct {
	name string
	f    F
	want []int
}

func checkPage[F, T any](t *testing.T, cases []pageCase[F], all []domain.ID, id func(*T) domain.ID,
	list func(context.Context, F, store.Page) ([]*T, error), count func(context.Context, F) (int, error)) {
	t.Helper()
	ctx := context.Background()
	byID := make([]filterCase[F, domain.ID], len(cases))
	for i, c := range cases {
		byID[i] = filterCase[F, domain.ID]{name: c.name, f: c.f}
		for _, j := range c.want {
			byID[i].want = append(byID[i].want, all[j])
		}
	}
	checkFiltered(t, byID, func(rows []*T) []domain.ID { return keysOf(rows, id) }, list, count)
	// Cursors: the middle rows forwards, the last ones backwards.
	var zero F
	var fwd, back []domain.ID
	for _, row := range mustGet[[]*T](t)(list(ctx, zero, store.Page{After: all[0], Before: all[len(all)-1], Limit: 100})) {
		fwd = append(fwd, id(row))
	}
	if want := all[1 : len(all)-1]; !slices.Equal(fwd, want) {
		t.Errorf("between the ends: %v, want %v", fwd, want)
	}
	for _, row := range mustGet[[]*T](t)(list(ctx, zero, store.Page{Backward: true, Limit: 2})) {
		back = append(back, id(row))
	}
	if want := []domain.ID{all[len(all)-1], all[len(all)-2]}; !slices.Equal(back, want) {
		t.Errorf("last 2: %v, want %v", back, want)
	}
}

// stamp moves the clock a minute on, so that rows created next sort
// after the ones before, and returns the new instant.
func stamp(h *H) time.Time {
	h.Clock.Advance(time.Minute)
	return h.Clock.Now()
}
