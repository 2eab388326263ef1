package bench

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"

	"mas/internal/routes"
)

// CeilingServer is the minimal introspection handler the server is
// compared with: it parses the same form, checks the same bearer secret,
// and writes a JSON body of the same size as the server's answer, on its
// own loopback listener in the bench process.
type CeilingServer struct {
	URL string
	srv *http.Server
}

// StartCeiling serves body (the server's own answer, captured once) for
// every well-formed introspection request.
func StartCeiling(secret string, body []byte) (*CeilingServer, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
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
	c := &CeilingServer{URL: "http://" + l.Addr().String(), srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = c.srv.Serve(l) }()
	return c, nil
}

// Close stops the ceiling server.
func (c *CeilingServer) Close() { _ = c.srv.Close() }

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
