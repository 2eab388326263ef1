package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"

	"mas/internal/routes"
)

// CeilingServer is the minimal introspection handler the server is
// compared with: it parses the same form, checks the same bearer secret,
// and writes a JSON body of the same size as the server's answer. It runs
// in a process of its own, as the server does: served from the load
// generator's own process it would skip the scheduling between processes
// that the server pays, and flatter the ceiling.
type CeilingServer struct {
	URL string
	cmd *exec.Cmd
}

// Environment of the ceiling process (see ServeCeilingIfAsked).
const (
	ceilingEnv       = "MAS_BENCH_CEILING"
	ceilingSecretEnv = "MAS_BENCH_CEILING_SECRET"
)

// StartCeiling starts this program again as the ceiling process, serving
// body (the server's own answer, captured once, passed on stdin) for every
// well-formed introspection request.
func StartCeiling(secret string, body []byte) (*CeilingServer, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), ceilingEnv+"=1", ceilingSecretEnv+"="+secret)
	cmd.Stdin = bytes.NewReader(body)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("ceiling process: %w", err)
	}
	return &CeilingServer{URL: strings.TrimSpace(line), cmd: cmd}, nil
}

// Close stops the ceiling process.
func (c *CeilingServer) Close() {
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
}

// ServeCeilingIfAsked is the ceiling process: when this program was
// started by StartCeiling it serves until killed and never returns.
func ServeCeilingIfAsked() {
	if os.Getenv(ceilingEnv) != "1" {
		return
	}
	body, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
	fmt.Println("http://" + l.Addr().String())
	srv := &http.Server{Handler: ceilingHandler(os.Getenv(ceilingSecretEnv), body), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintln(os.Stderr, "ceiling:", srv.Serve(l))
	os.Exit(1)
}

func ceilingHandler(secret string, body []byte) http.Handler {
	want := []byte("Bearer " + secret)
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+routes.OAuth2Introspection, func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if err := r.ParseForm(); err != nil || r.PostForm.Get("token") == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	return mux
}

// ParallelRate runs op on GOMAXPROCS goroutines for the phase and
// returns the completed operations per second of the measured window.
func ParallelRate(ctx context.Context, phase Phase, op func()) float64 {
	var count atomic.Int64
	var measuring atomic.Bool
	ctx, cancel := context.WithTimeout(ctx, phase.Warmup+phase.Measure)
	defer cancel()
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				op()
				if measuring.Load() {
					count.Add(1)
				}
			}
		}()
	}
	time.Sleep(phase.Warmup)
	measuring.Store(true)
	start := time.Now()
	<-ctx.Done()
	n := count.Load()
	elapsed := time.Since(start)
	wg.Wait()
	return float64(n) / elapsed.Seconds()
}

// Argon2Rate is raw x/crypto argon2id hashes per second at the server's
// default parameters with every core hashing.
func Argon2Rate(ctx context.Context, phase Phase) float64 {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	return ParallelRate(ctx, phase, func() {
		argon2.IDKey([]byte("a bench password"), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	})
}

// RS256Rate is RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second (an
// ID token's signature) with every core signing.
func RS256Rate(ctx context.Context, phase Phase) (float64, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return 0, err
	}
	digest := sha256.Sum256([]byte("header.payload"))
	return ParallelRate(ctx, phase, func() {
		_, _ = rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
	}), nil
}
