package policy

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// engine builds an engine from JSON data written with single quotes for
// readability.
func engine(t *testing.T, data string) *Engine {
	t.Helper()
	e, err := New(json.RawMessage(strings.ReplaceAll(data, "'", `"`)))
	if err != nil {
		t.Fatalf("New(%s): %v", data, err)
	}
	return e
}

func msgs(vs []Violation) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Msg
	}
	return out
}

// wantMsgs compares the messages of vs, in order, with want.
func wantMsgs(t *testing.T, vs []Violation, want ...string) {
	t.Helper()
	if got := msgs(vs); !slices.Equal(got, want) {
		if want == nil {
			want = []string{}
		}
		t.Errorf("violations = %q, want %q\n(full: %+v)", got, want, vs)
	}
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }
