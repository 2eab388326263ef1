package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	var samples []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		samples = append(samples, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.1, time.Millisecond}} {
		if got := Percentile(samples, tc.p); got != tc.want {
			t.Errorf("Percentile(1..100 ms, %v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := Percentile(nil, 99); got != 0 {
		t.Errorf("Percentile(nil) = %v, want 0", got)
	}
	if got := Percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("Percentile(one sample) = %v, want 7", got)
	}
}

func TestNewResultRatio(t *testing.T) {
	r := NewResult("introspection_rps", "x", 1500, "req/s", 6000, "handler")
	if r.Ratio != 0.25 || r.Value != 1500 || r.Ceiling != 6000 {
		t.Errorf("NewResult = %+v, want ratio 0.25", r)
	}
	if r := NewResult("startup_ms", "x", 12.3456, "ms", 0, ""); r.Ratio != 0 || r.Value != 12.346 {
		t.Errorf("no ceiling: %+v, want ratio 0 and value rounded to 12.346", r)
	}
}

func TestWriteJSONHasTheIssueFields(t *testing.T) {
	var buf bytes.Buffer
	results := []Result{NewResult("introspection_rps", "label not written", 10, "req/s", 20, "not written")}
	if err := WriteJSON(&buf, results); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not a JSON list: %v\n%s", err, buf.String())
	}
	want := map[string]any{"name": "introspection_rps", "value": 10.0, "unit": "req/s", "ceiling": 20.0, "ratio": 0.5}
	if len(got) != 1 || len(got[0]) != len(want) {
		t.Fatalf("got %v, want one object with exactly %v", got, want)
	}
	for k, v := range want {
		if got[0][k] != v {
			t.Errorf("%s = %v, want %v", k, got[0][k], v)
		}
	}
	buf.Reset()
	if err := WriteJSON(&buf, nil); err != nil || strings.TrimSpace(buf.String()) != "[]" {
		t.Errorf("no results: %q, %v; want []", buf.String(), err)
	}
}

func TestForJSONKeepsTheIssueNamesInOrder(t *testing.T) {
	var all []Result
	for i := len(JSONNames) - 1; i >= 0; i-- {
		all = append(all, Result{Name: JSONNames[i]}, Result{Name: JSONNames[i] + "_c64"})
	}
	got := ForJSON(all)
	if len(got) != len(JSONNames) {
		t.Fatalf("ForJSON kept %d results, want %d", len(got), len(JSONNames))
	}
	for i, r := range got {
		if r.Name != JSONNames[i] {
			t.Errorf("result %d = %s, want %s", i, r.Name, JSONNames[i])
		}
	}
}

func TestWriteTable(t *testing.T) {
	var buf bytes.Buffer
	err := WriteTable(&buf, []Result{
		NewResult("introspection_rps", "introspection (16 clients)", 2345.6, "req/s", 9000, "minimal Go handler"),
		NewResult("startup_ms", "", 98.7654, "ms", 150, "target"),
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("table has %d lines, want a header, a rule and 2 rows:\n%s", len(lines), buf.String())
	}
	for _, want := range []string{"introspection (16 clients)", "2346 req/s", "9000 req/s", "0.26", "minimal Go handler"} {
		if !strings.Contains(lines[2], want) {
			t.Errorf("row %q lacks %q", lines[2], want)
		}
	}
	if !strings.Contains(lines[3], "startup_ms") || !strings.Contains(lines[3], "98.8 ms") || !strings.Contains(lines[3], "0.66") {
		t.Errorf("row %q: want the name when there is no label, 98.8 ms and 0.66", lines[3])
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "|") || !strings.HasSuffix(strings.TrimSpace(l), "|") {
			t.Errorf("line %q is not a Markdown table row", l)
		}
	}
}

func TestParseStatusKiB(t *testing.T) {
	status := []byte("Name:\tmas-cli\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\n")
	if got := parseStatusKiB(status, "VmRSS:"); got != 40960 {
		t.Errorf("VmRSS = %v, want 40960", got)
	}
	if got := parseStatusKiB(status, "VmHWM:"); got != 51200 {
		t.Errorf("VmHWM = %v, want 51200", got)
	}
	if got := parseStatusKiB(status, "VmSwap:"); got != 0 {
		t.Errorf("missing key = %v, want 0", got)
	}
}

func TestIDTokenAlg(t *testing.T) {
	if got := idTokenAlg("eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.e30.sig"); got != "RS256" {
		t.Errorf("alg = %q, want RS256", got)
	}
	if got := idTokenAlg("not a jws"); got != "" {
		t.Errorf("alg of garbage = %q, want empty", got)
	}
}
