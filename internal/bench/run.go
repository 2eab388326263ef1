package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Options configure a run.
type Options struct {
	Bin         string // mas-cli
	Backend     string // "postgres" or "sqlite"
	AdminURL    string // PostgreSQL server to create the database on
	Tokens      int
	Users       int
	Phase       Phase
	Concurrency []int // introspection clients; the first also drives the other loads
	// Only, when not empty, names the phases to run (login, introspection,
	// flows, refresh; refresh rotates the tokens of a flows phase, so it
	// runs one too): for profiling one path.
	Only []string
	Log  io.Writer
}

func (o Options) runs(phase string) bool { return len(o.Only) == 0 || slices.Contains(o.Only, phase) }

// Run measures the server and its ceilings and returns every figure.
func Run(ctx context.Context, o Options) ([]Result, error) {
	dir, err := os.MkdirTemp("", "mas-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	logf := func(format string, args ...any) { fmt.Fprintf(o.Log, "bench: "+format+"\n", args...) }

	db := NewSQLite(dir)
	if o.Backend == "postgres" {
		if db, err = NewPostgres(ctx, o.AdminURL); err != nil {
			return nil, err
		}
	}
	defer db.Close()
	srv, err := WriteConfig(ctx, o.Bin, dir, db.URI)
	if err != nil {
		return nil, err
	}
	logf("%s: migrating, seeding %d users and %d access tokens", o.Backend, o.Users, o.Tokens)
	if err := srv.Run(ctx, "database", "migrate"); err != nil {
		return nil, err
	}
	if err := srv.Run(ctx, "config", "sync"); err != nil {
		return nil, err
	}
	t0 := time.Now()
	seed, err := SeedDatabase(ctx, db.URI, o.Users, o.Tokens)
	if err != nil {
		return nil, err
	}
	logf("seeded in %s", time.Since(t0).Round(time.Millisecond))

	startup, err := startupTime(ctx, srv)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	time.Sleep(2 * time.Second)
	idle, _, err := srv.Memory()
	if err != nil {
		return nil, err
	}
	idleFile, err := srv.RssFile()
	if err != nil {
		return nil, err
	}
	logf("start to first ok %s, idle RSS %.1f MiB (%s)", startup.Round(time.Millisecond), idle, srv.MemoryDetail())

	m := &measurer{o: o, logf: logf}
	workers := o.Concurrency[0]
	client := NewClient(slices.Max(o.Concurrency))
	var results []Result

	// Every ceiling is measured right before and right after the load it
	// is compared with, and the higher of the two kept: the machine is
	// shared, and a ceiling caught in a busy moment would flatter us.
	var (
		argonRate float64
		login     Load
		peak      float64
	)
	if o.runs("login") {
		argonRate = m.rate("x/crypto argon2id hashes", func() float64 { return Argon2Rate(ctx, o.Phase) })
		// Password logins before anything heavier, so that VmHWM is the peak
		// under this load.
		login = m.load(ctx, "compat password logins", workers, LoginOp(client, srv.Base, seed))
		if _, peak, err = srv.Memory(); err != nil {
			return nil, err
		}
		argonRate = max(argonRate, m.rate("x/crypto argon2id hashes", func() float64 { return Argon2Rate(ctx, o.Phase) }))
	}

	var (
		intro, introCeil []Load
		cold             Load
		hitRate          float64
	)
	if o.runs("introspection") {
		// Introspection, beside the minimal handler.
		in := &Introspector{Client: client, Secret: srv.Secret, Tokens: seed.Tokens}
		body, err := in.Once(ctx, srv.Base, seed.Tokens[0])
		if err != nil {
			return nil, err
		}
		ceiling, err := StartCeiling(srv.Secret, body)
		if err != nil {
			return nil, err
		}
		defer ceiling.Close()
		// Synapse asks again about a token it uses every two minutes, so the
		// steady state is a pool of tokens each seen before. One pass over the
		// whole pool (each token's first sight, answered from the database)
		// comes first and is reported on its own; the measured phases after it
		// report the cache's hit rate.
		cold = m.pass(ctx, "introspection, first sight of each token", workers, len(seed.Tokens), in.Nth(srv.Base))
		hits0, misses0, err := srv.CacheCounts(ctx)
		if err != nil {
			return nil, err
		}
		for _, c := range o.Concurrency {
			what := fmt.Sprintf("ceiling handler, %d clients", c)
			before := m.load(ctx, what, c, in.Op(ceiling.URL))
			intro = append(intro, m.load(ctx, fmt.Sprintf("introspection, %d clients", c), c, in.Op(srv.Base)))
			after := m.load(ctx, what, c, in.Op(ceiling.URL))
			introCeil = append(introCeil, faster(before, after))
		}

		hits1, misses1, err := srv.CacheCounts(ctx)
		if err != nil {
			return nil, err
		}
		if n := (hits1 - hits0) + (misses1 - misses0); n > 0 {
			hitRate = (hits1 - hits0) / n
		}
		logf("introspection cache hit rate in the measured phases: %.3f", hitRate)

	}

	var (
		flows, oauthRefresh, compatRefresh Load
		rsaRate, refreshDB, compatDB       float64
	)
	refreshDBNote := fmt.Sprintf("the rotation's SQL via database/sql, %d clients", workers)
	refresh := make([]string, workers)
	if o.runs("flows") || o.runs("refresh") {
		// Authorization-code flows, then rotations of their refresh tokens.
		rs256 := func() float64 {
			r, err := RS256Rate(ctx, o.Phase)
			if err != nil {
				logf("RS256: %v", err)
			}
			return r
		}
		rsaRate = m.rate("RS256-2048 signatures", rs256)
		flows = m.load(ctx, "authorization-code flows", workers, CodeFlowOp(client, srv.Base, seed, workers, refresh))
		rsaRate = max(rsaRate, m.rate("RS256-2048 signatures", rs256))
	}
	if o.runs("refresh") {
		// The refresh ceiling is the same rotation's writes issued straight
		// through database/sql: a handler that only reads is no ceiling for a
		// durable write transaction.
		refreshCeil, err := OpenRefreshCeiling(db.URI)
		if err != nil {
			return nil, err
		}
		defer refreshCeil.Close()
		const refreshCeilWhat = "refresh writes via database/sql"
		ceilBefore := m.load(ctx, refreshCeilWhat, workers, refreshCeil.Op(refresh))
		oauthRefresh = m.load(ctx, "OAuth refresh_token grants", workers, OAuthRefreshOp(client, srv.Base, refresh))
		refreshDB = faster(ceilBefore, m.load(ctx, refreshCeilWhat, workers, refreshCeil.Op(refresh))).Rate()
		compatTokens := make([]string, workers)
		const compatCeilWhat = "compat refresh writes via database/sql"
		compatBefore := m.load(ctx, compatCeilWhat, workers, refreshCeil.CompatOp(client, srv.Base, seed, compatTokens))
		compatRefresh = m.load(ctx, "compat refreshes", workers, CompatRefreshOp(client, srv.Base, seed, compatTokens))
		compatDB = faster(compatBefore, m.load(ctx, compatCeilWhat, workers, refreshCeil.CompatOp(client, srv.Base, seed, compatTokens))).Rate()
	}

	var handler float64
	if len(introCeil) > 0 {
		handler = introCeil[0].Rate()
	}
	handlerNote := fmt.Sprintf("minimal Go handler, %d clients", o.Concurrency[0])
	// The resident set once every load has run: what the server keeps
	// mapped in use, not only after start.
	after, _, err := srv.Memory()
	if err != nil {
		return nil, err
	}
	for i, c := range o.Concurrency[:len(intro)] {
		label := fmt.Sprintf("introspection (%d clients)", c)
		r := NewResult("introspection_rps", label, intro[i].Rate(), "req/s", introCeil[i].Rate(), fmt.Sprintf("minimal Go handler, %d clients", c))
		p50 := NewResult("introspection_p50_ms", label+" p50", Millis(Percentile(intro[i].Latencies, 50)), "ms",
			Millis(Percentile(introCeil[i].Latencies, 50)), "handler's p50 (lower is better)")
		p99 := NewResult("introspection_p99_ms", label+" p99", Millis(Percentile(intro[i].Latencies, 99)), "ms",
			Millis(Percentile(introCeil[i].Latencies, 99)), "handler's p99 (lower is better)")
		if i > 0 {
			r.Name, p50.Name, p99.Name = r.Name+"_c"+fmt.Sprint(c), p50.Name+"_c"+fmt.Sprint(c), p99.Name+"_c"+fmt.Sprint(c)
		}
		results = append(results, r, p50, p99)
	}
	results = append(results,
		NewResult("introspection_first_sight_rps", "introspection, first sight of each token (cache misses)", cold.Rate(), "req/s",
			handler, handlerNote),
		NewResult("introspection_cache_hit_rate", "introspection cache hit rate in the measured phases", hitRate, "",
			1, "every answer from memory"),
	)
	// What the hashing pool may hold at once: one argon2 block array per
	// core, on top of the idle process.
	hashBound := idle + float64(runtime.GOMAXPROCS(0))*argonMemory/1024
	results = append(results,
		NewResult("password_login_rps", "compat m.login.password logins", login.Rate(), "/s", argonRate,
			fmt.Sprintf("x/crypto argon2id, %d goroutines", runtime.GOMAXPROCS(0))),
		NewResult("auth_code_flow_rps", "authorization-code flows (RS256 ID token)", flows.Rate(), "/s", rsaRate,
			"RS256-2048 signatures/s, all cores"),
		NewResult("refresh_rps", "OAuth refresh-token rotations", oauthRefresh.Rate(), "/s", refreshDB, refreshDBNote),
		NewResult("refresh_vs_handler_rps", "OAuth refresh-token rotations (vs. the read-only handler)", oauthRefresh.Rate(), "/s",
			handler, handlerNote),
		NewResult("compat_refresh_rps", "compat refreshes", compatRefresh.Rate(), "/s", compatDB, refreshDBNote),
		NewResult("idle_rss_mib", "idle RSS after start", idle, "MiB", 30, "issue 15's target (lower is better)"),
		NewResult("idle_rss_file_mib", "idle RSS: the executable's mapped pages", idleFile, "MiB", idle,
			"share of the idle RSS"),
		NewResult("rss_after_mib", "RSS after every measured load", after, "MiB", hashBound,
			"the peak's bound (lower is better)"),
		NewResult("peak_rss_mib", "peak RSS (VmHWM) after the login load", peak, "MiB", hashBound,
			"idle + one argon2 m=19456 KiB per core (lower is better)"),
		NewResult("startup_ms", "start to first ok from /health", Millis(startup), "ms", 150,
			"issue 15's SQLite target (lower is better)"),
	)
	return onlyRun(o, results), nil
}

// phaseOf names the phase a result comes from ("" for the start-up rows,
// measured in every run).
func phaseOf(name string) string {
	switch {
	case strings.HasPrefix(name, "introspection_"):
		return "introspection"
	case name == "password_login_rps", name == "peak_rss_mib":
		return "login"
	case name == "auth_code_flow_rps":
		return "flows"
	case strings.Contains(name, "refresh"):
		return "refresh"
	}
	return ""
}

// onlyRun drops the rows of the phases o skipped.
func onlyRun(o Options, results []Result) []Result {
	return slices.DeleteFunc(results, func(r Result) bool {
		p := phaseOf(r.Name)
		// Its ceiling is the introspection phase's handler.
		if r.Name == "refresh_vs_handler_rps" && !o.runs("introspection") {
			return true
		}
		return p != "" && !o.runs(p)
	})
}

// JSONNames are the figures bench-results.json holds, as issue 15 names
// them.
var JSONNames = []string{"introspection_rps", "introspection_p99_ms", "password_login_rps", "auth_code_flow_rps",
	"refresh_rps", "idle_rss_mib", "peak_rss_mib", "startup_ms"}

// ForJSON keeps the results JSONNames lists, in that order.
func ForJSON(results []Result) []Result {
	var out []Result
	for _, name := range JSONNames {
		for _, r := range results {
			if r.Name == name {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// startupTime starts the server three times and keeps the last one
// running; it returns the median time to the first ok.
func startupTime(ctx context.Context, srv *Server) (time.Duration, error) {
	var times []time.Duration
	for i := range 3 {
		d, err := srv.Start(ctx)
		if err != nil {
			return 0, err
		}
		times = append(times, d)
		if i < 2 {
			srv.Stop()
		}
	}
	return Percentile(times, 50), nil
}

// faster is the load with the higher rate.
func faster(a, b Load) Load {
	if b.Rate() > a.Rate() {
		return b
	}
	return a
}

// rate runs one ceiling measurement on every core and logs it.
func (m *measurer) rate(what string, f func() float64) float64 {
	r := f()
	m.logf("%-32s %8.1f/s  (ceiling, %d goroutines)", what, r, runtime.GOMAXPROCS(0))
	return r
}

type measurer struct {
	o    Options
	logf func(string, ...any)
}

// pass runs one pass over n items and logs what it measured.
func (m *measurer) pass(ctx context.Context, what string, workers, n int, op func(context.Context, int, int) error) Load {
	l := RunPass(ctx, workers, n, op)
	m.log(what, l)
	return l
}

// load runs one closed-loop phase and logs what it measured.
func (m *measurer) load(ctx context.Context, what string, workers int, op func(context.Context, int, int) error) Load {
	l := RunClosedLoop(ctx, workers, m.o.Phase, op)
	m.log(what, l)
	return l
}

func (m *measurer) log(what string, l Load) {
	lat := slices.Clone(l.Latencies)
	m.logf("%-32s %8.1f/s  p50 %6.2f ms  p99 %6.2f ms  errors %d", what, l.Rate(),
		Millis(Percentile(lat, 50)), Millis(Percentile(lat, 99)), l.Errors)
	if l.FirstErr != nil {
		m.logf("  first error: %v", l.FirstErr)
	}
}
