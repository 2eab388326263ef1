package policy

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
)

// TestSetData swaps the dynamic data of a shared engine: the new data
// merges over the static data, replaces the previous version, and bad
// data changes nothing.
func TestSetData(t *testing.T) {
	e := engine(t, "{'emails': {'banned_addresses': {'literals': ['a@example.com']}}}")
	banned := func(email string) bool { return len(e.Email(EmailInput{Email: email})) > 0 }
	if banned("hello@example.com") || e.DataVersion() != "" {
		t.Fatal("fresh engine bans hello or has a version")
	}
	if _, err := e.SetData("v1", json.RawMessage(`{"emails": {"banned_addresses": {"substrings": ["hello"]}}}`)); err != nil {
		t.Fatal(err)
	}
	if !banned("hello@example.com") || !banned("a@example.com") || e.DataVersion() != "v1" {
		t.Errorf("after v1: hello %v, a %v, version %q", banned("hello@example.com"), banned("a@example.com"), e.DataVersion())
	}
	if _, err := e.SetData("v9", json.RawMessage(`{"emails": {"banned_addresses": {"regexes": ["("]}}}`)); err == nil {
		t.Error("invalid data accepted")
	}
	if _, err := e.SetData("v9", json.RawMessage(`{"emails": 3}`)); err == nil {
		t.Error("data that cannot merge accepted")
	}
	if !banned("hello@example.com") || e.DataVersion() != "v1" {
		t.Error("invalid data changed the engine")
	}
	if _, err := e.SetData("v2", json.RawMessage(`{"emails": {"banned_addresses": {"literals": ["b@example.com"]}}}`)); err != nil {
		t.Fatal(err)
	}
	if banned("hello@example.com") || !banned("b@example.com") || !banned("a@example.com") {
		t.Error("v2 did not replace v1 over the static data")
	}
}

// TestSetDataKeepsNewer: an older version arriving after a newer one (a
// refresh racing a POST, or two replicas) is not applied.
func TestSetDataKeepsNewer(t *testing.T) {
	e := engine(t, "{}")
	for _, c := range []struct {
		version string
		applied bool
		now     string
	}{{"v2", true, "v2"}, {"v1", false, "v2"}, {"v2", false, "v2"}, {"v3", true, "v3"}} {
		applied, err := e.SetData(c.version, json.RawMessage(`{}`))
		if err != nil || applied != c.applied || e.DataVersion() != c.now {
			t.Errorf("SetData(%s) = %v, %v; version now %q, want %v and %q", c.version, applied, err, e.DataVersion(), c.applied, c.now)
		}
	}
}

// TestSetDataConcurrent reads while another goroutine swaps (run with -race).
func TestSetDataConcurrent(t *testing.T) {
	e := engine(t, "{}")
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range 200 {
			data := `{"emails": {"banned_addresses": {"literals": ["x@example.com"]}}}`
			if i%2 == 0 {
				data = `{}`
			}
			if _, err := e.SetData(fmt.Sprintf("v%03d", i), json.RawMessage(data)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range 200 {
			e.Email(EmailInput{Email: "x@example.com"})
			e.Register(RegisterInput{Username: "x"})
		}
	}()
	wg.Wait()
}
