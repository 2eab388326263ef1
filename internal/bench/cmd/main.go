// Command mas-bench is `make bench`: it starts the real server on a
// throw-away database, drives it over loopback and prints every figure of
// issue 15 beside a ceiling measured in the same run (see
// docs/performance.md).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"mas/internal/bench"
)

func main() {
	bench.ServeCeilingIfAsked()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func run() error {
	var (
		o        bench.Options
		clients  = flag.String("clients", env("BENCH_CLIENTS", "16,64"), "introspection clients, comma-separated; the first also drives the other loads")
		duration = flag.Duration("duration", 15*time.Second, "measured time of each phase (BENCH_DURATION)")
		warmup   = flag.Duration("warmup", 3*time.Second, "unmeasured warm-up before each phase")
		out      = flag.String("json", "bench-results.json", "where to write the figures")
	)
	flag.StringVar(&o.Bin, "bin", "bin/mas-cli", "the mas-cli binary to measure")
	flag.StringVar(&o.Backend, "db", env("BENCH_DB", "postgres"), "backend: postgres or sqlite (BENCH_DB)")
	flag.StringVar(&o.AdminURL, "database-url", env("BENCH_DATABASE_URL", os.Getenv("MAS_TEST_DATABASE_URL")),
		"PostgreSQL server on which to create the throw-away database (BENCH_DATABASE_URL, else MAS_TEST_DATABASE_URL)")
	flag.IntVar(&o.Tokens, "tokens", 100000, "active access tokens in the introspection pool")
	flag.IntVar(&o.Users, "users", 1000, "users with a password")
	flag.Parse()
	if d := os.Getenv("BENCH_DURATION"); d != "" {
		v, err := time.ParseDuration(d)
		if err != nil {
			return fmt.Errorf("BENCH_DURATION: %w", err)
		}
		*duration = v
	}
	o.Phase = bench.Phase{Warmup: *warmup, Measure: *duration}
	for _, c := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			return fmt.Errorf("-clients: %q is not a count", c)
		}
		o.Concurrency = append(o.Concurrency, n)
	}
	switch o.Backend {
	case "sqlite":
	case "postgres":
		if o.AdminURL == "" {
			return fmt.Errorf("PostgreSQL needs BENCH_DATABASE_URL or MAS_TEST_DATABASE_URL (or BENCH_DB=sqlite)")
		}
	default:
		return fmt.Errorf("BENCH_DB=%q: want postgres or sqlite", o.Backend)
	}
	if only := os.Getenv("BENCH_ONLY"); only != "" {
		for _, p := range strings.Split(only, ",") {
			switch p = strings.TrimSpace(p); p {
			case "login", "introspection", "flows", "refresh":
				o.Only = append(o.Only, p)
			default:
				return fmt.Errorf("BENCH_ONLY: %q is not a phase (login, introspection, flows, refresh)", p)
			}
		}
	}
	o.Log = os.Stderr

	// The load generator shares the cores with the server: its own cost
	// is worth a look too.
	if path := os.Getenv("BENCH_CPU_PROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("BENCH_CPU_PROFILE: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("BENCH_CPU_PROFILE: %w", err)
		}
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	results, err := bench.Run(ctx, o)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	fmt.Printf("\nmake bench, %s, %d CPUs (GOMAXPROCS %d), %s/%s, %s, host %s, %s per phase after %s warm-up\n\n",
		o.Backend, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version(), host, *duration, *warmup)
	if err := bench.WriteTable(os.Stdout, results); err != nil {
		return err
	}
	if err := bench.WriteJSONFile(*out, bench.ForJSON(results)); err != nil {
		return err
	}
	fmt.Printf("\nwrote %s\n", *out)
	return nil
}
