package policy

import (
	"encoding/json"
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
	if err := e.SetData("v1", json.RawMessage(`{"emails": {"banned_addresses": {"substrings": ["hello"]}}}`)); err != nil {
		t.Fatal(err)
	}
	if !banned("hello@example.com") || !banned("a@example.com") || e.DataVersion() != "v1" {
		t.Errorf("after v1: hello %v, a %v, version %q", banned("hello@example.com"), banned("a@example.com"), e.DataVersion())
	}
	if err := e.SetData("bad", json.RawMessage(`{"emails": {"banned_addresses": {"regexes": ["("]}}}`)); err == nil {
		t.Error("invalid data accepted")
	}
	if err := e.SetData("bad", json.RawMessage(`{"emails": 3}`)); err == nil {
		t.Error("data that cannot merge accepted")
	}
	if !banned("hello@example.com") || e.DataVersion() != "v1" {
		t.Error("invalid data changed the engine")
	}
	if err := e.SetData("v2", json.RawMessage(`{"emails": {"banned_addresses": {"literals": ["b@example.com"]}}}`)); err != nil {
		t.Fatal(err)
	}
	if banned("hello@example.com") || !banned("b@example.com") || !banned("a@example.com") {
		t.Error("v2 did not replace v1 over the static data")
	}
}

// TestSetDataIf refuses to replace a version applied since it was read.
func TestSetDataIf(t *testing.T) {
	e := engine(t, "{}")
	must := func(ok bool, err error) bool {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !must(e.SetDataIf("", "v1", json.RawMessage(`{}`))) {
		t.Fatal("first SetDataIf refused")
	}
	seen := e.DataVersion()
	if err := e.SetData("v2", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	if must(e.SetDataIf(seen, "v1", json.RawMessage(`{}`))) || e.DataVersion() != "v2" {
		t.Errorf("stale refresh replaced v2: now %q", e.DataVersion())
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
			if err := e.SetData("v", json.RawMessage(data)); err != nil {
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
