// Package storetest is the conformance suite every store backend must
// pass. Backends call Run (and RunConcurrency) from their own tests with a
// function that opens a fresh, migrated store driven by the given clock.
package storetest

import (
	"errors"
	"testing"
	"time"

	"mas/internal/clock/clocktest"
	"mas/internal/store"
)

// Opener returns a fresh, migrated, empty store that reads time from clk.
type Opener func(t *testing.T, clk *clocktest.Fake) store.Store

// Start is the instant every suite clock starts at.
var Start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// group is one set of tests sharing a store.
type group struct {
	name  string
	tests []test
}

type test struct {
	name string
	run  func(t *testing.T, h *H)
}

// H is what each test gets.
type H struct {
	S     store.Store
	Clock *clocktest.Fake
}

// groups is filled by the init functions of the files of this package,
// one file per aggregate.
var groups []group

func register(name string, tests ...test) { groups = append(groups, group{name, tests}) }

// Run runs the conformance suite. Each test gets its own store so that
// tests are independent and can run in any order.
func Run(t *testing.T, open Opener) {
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					clk := clocktest.New(Start)
					tc.run(t, &H{S: open(t, clk), Clock: clk})
				})
			}
		})
	}
}

// must fails the test on error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// mustGet fails the test on error and returns v.
func mustGet[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// wantErr fails unless err matches target.
func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

// sameTime compares instants at microsecond precision.
func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// sameTimePtr compares optional instants.
func sameTimePtr(t *testing.T, what string, got, want *time.Time) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Fatalf("%s = %v, want %v", what, got, want)
	default:
		sameTime(t, what, *got, *want)
	}
}
