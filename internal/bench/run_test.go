package bench

import (
	"slices"
	"testing"
)

func TestOnlyRunKeepsTheAskedPhases(t *testing.T) {
	all := []Result{
		{Name: "introspection_rps"}, {Name: "introspection_p99_ms_c64"}, {Name: "password_login_rps"},
		{Name: "peak_rss_mib"}, {Name: "auth_code_flow_rps"}, {Name: "refresh_rps"}, {Name: "compat_refresh_rps"},
		{Name: "idle_rss_mib"}, {Name: "startup_ms"},
	}
	names := func(rs []Result) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return out
	}
	if got := names(onlyRun(Options{}, slices.Clone(all))); !slices.Equal(got, names(all)) {
		t.Errorf("no BENCH_ONLY kept %v, want every row", got)
	}
	got := names(onlyRun(Options{Only: []string{"flows"}}, slices.Clone(all)))
	want := []string{"auth_code_flow_rps", "idle_rss_mib", "startup_ms"}
	if !slices.Equal(got, want) {
		t.Errorf("BENCH_ONLY=flows kept %v, want %v", got, want)
	}
	got = names(onlyRun(Options{Only: []string{"refresh"}}, slices.Clone(all)))
	want = []string{"refresh_rps", "compat_refresh_rps", "idle_rss_mib", "startup_ms"}
	if !slices.Equal(got, want) {
		t.Errorf("BENCH_ONLY=refresh kept %v, want %v", got, want)
	}
}
