package oauth

// Test harness for the discovery, registration and client authentication
// tests: a Handler over a real, migrated store (see testdb), served through
// httptest. Names carry a "reg" prefix to stay clear of the helpers of the
// other tests in this package.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mas/internal/clock/clocktest"
	"mas/internal/domain"
	"mas/internal/encrypt"
	"mas/internal/keys"
	"mas/internal/policy"
	"mas/internal/routes"
	"mas/internal/store"
	"mas/internal/testdb"
)

// regPublicBase is the public base of the test handlers; requests go to
// the httptest server, but every URL the handler builds uses this base.
const regPublicBase = "https://auth.example.com/"

var regStart = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

type regEnv struct {
	t      *testing.T
	h      *Handler
	srv    *httptest.Server
	store  store.Store
	clock  *clocktest.Fake
	logger *slog.Logger // the request logger; tests may swap it
}

type regOptions struct {
	policyData         string
	deviceCodeDisabled bool
}

type regOption func(*regOptions)

func withPolicyData(data string) regOption {
	return func(o *regOptions) { o.policyData = data }
}

func withDeviceCodeDisabled() regOption { return func(o *regOptions) { o.deviceCodeDisabled = true } }

// regServerKeys loads fixed keys (an RSA and a P-256 key) so that the
// published JWKS and algorithms are stable.
func regServerKeys(t *testing.T) *keys.KeySet {
	t.Helper()
	var specs []keys.Spec
	for _, name := range []string{"rsa_pkcs8.pem", "p256_pkcs8.pem"} {
		data, err := os.ReadFile(filepath.Join("..", "keys", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, keys.Spec{Data: data, Source: name})
	}
	ks, err := keys.NewKeySet(specs)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func regEncrypter() *encrypt.Encrypter {
	var key [32]byte
	copy(key[:], "0123456789abcdef0123456789abcdef")
	return encrypt.New(key, rand.Reader)
}

func newRegEnv(t *testing.T, opts ...regOption) *regEnv {
	t.Helper()
	var o regOptions
	for _, opt := range opts {
		opt(&o)
	}
	clk := clocktest.New(regStart)
	st := testdb.Open(t, clk)
	urls, err := routes.NewURLBuilder(regPublicBase, "")
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.New(json.RawMessage(o.policyData))
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{
		Store:     st,
		Keys:      regServerKeys(t),
		Encrypter: regEncrypter(),
		Policy:    pol,
		URLs:      urls,
		Clock:     clk,
		Rand:      rand.Reader,
		Settings: Settings{
			DeviceCodeGrantEnabled: !o.deviceCodeDisabled,
		},
	}
	mux := http.NewServeMux()
	h.MountDiscovery(mux)
	mux.HandleFunc("GET "+routes.OAuth2Keys, h.jwks)
	mux.HandleFunc("POST "+routes.OAuth2Registration, h.register)
	// Client authentication is exercised through a stand-in for the
	// endpoints that use it, mounted at their real paths because the
	// accepted assertion audiences depend on the path.
	for _, p := range []string{routes.OAuth2Token, routes.OAuth2Introspection, routes.OAuth2Revocation} {
		mux.HandleFunc("POST "+p, h.regClientAuthProbe)
	}
	e := &regEnv{t: t, h: h, store: st, clock: clk, logger: slog.New(slog.DiscardHandler)}
	e.srv = httptest.NewServer(withLogger(mux, func() *slog.Logger { return e.logger }))
	t.Cleanup(e.srv.Close)
	return e
}

// regClientAuthProbe authenticates the client and answers with its ID.
func (h *Handler) regClientAuthProbe(w http.ResponseWriter, r *http.Request) {
	if e := parseForm(w, r); e != nil {
		writeError(w, e)
		return
	}
	c, e := h.authenticateClient(r)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"client_id": c.ID.String()})
}

type regResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r regResponse) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response %d is not a JSON object: %v\n%s", r.status, err, r.body)
	}
	return m
}

func (e *regEnv) do(req *http.Request) regResponse {
	e.t.Helper()
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return regResponse{status: res.StatusCode, header: res.Header, body: body}
}

func (e *regEnv) get(path string) regResponse {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(req)
}

// register posts a registration body written with single quotes.
func (e *regEnv) register(body string) regResponse {
	e.t.Helper()
	return e.registerRaw("application/json", strings.ReplaceAll(body, "'", `"`), nil)
}

func (e *regEnv) registerRaw(contentType, body string, header http.Header) regResponse {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+routes.OAuth2Registration, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return e.do(req)
}

// mustRegister registers and returns the response object.
func (e *regEnv) mustRegister(body string) map[string]any {
	e.t.Helper()
	res := e.register(body)
	if res.status != http.StatusCreated {
		e.t.Fatalf("registration: status %d, want 201\n%s", res.status, res.body)
	}
	return res.json(e.t)
}

// authenticate posts form to path with an optional Basic header.
func (e *regEnv) authenticate(path string, form url.Values, basicUser, basicPass string) regResponse {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" || basicPass != "" {
		req.SetBasicAuth(basicUser, basicPass)
	}
	return e.do(req)
}

// addClient stores a client directly, with secret (if any) encrypted.
func (e *regEnv) addClient(c *domain.Client, secret string) *domain.Client {
	e.t.Helper()
	if secret != "" {
		enc, err := e.h.Encrypter.Encrypt([]byte(secret))
		if err != nil {
			e.t.Fatal(err)
		}
		c.EncryptedSecret = enc
	}
	if err := e.store.Clients().Add(context.Background(), c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *regEnv) lookupClient(id string) *domain.Client {
	e.t.Helper()
	cid, err := domain.ParseID(id)
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := e.store.Clients().Lookup(context.Background(), cid)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// wantOAuthError checks an RFC 6749 / 7591 error response.
func wantOAuthError(t *testing.T, res regResponse, status int, code ErrorCode, descContains string) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status = %d, want %d\n%s", res.status, status, res.body)
	}
	m := res.json(t)
	if m["error"] != string(code) {
		t.Fatalf("error = %v, want %s\n%s", m["error"], code, res.body)
	}
	desc, _ := m["error_description"].(string)
	if !strings.Contains(desc, descContains) {
		t.Fatalf("error_description = %q, want it to contain %q", desc, descContains)
	}
}

// sameJSON compares two JSON documents by value, reporting the keys that
// differ.
func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w map[string]any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON: %v", err)
	}
	for k, wv := range w {
		gv, ok := g[k]
		if !ok {
			t.Errorf("missing key %q", k)
			continue
		}
		gb, _ := json.Marshal(gv)
		wb, _ := json.Marshal(wv)
		if !bytes.Equal(gb, wb) {
			t.Errorf("%s = %s, want %s", k, gb, wb)
		}
	}
	for k, gv := range g {
		if _, ok := w[k]; !ok {
			gb, _ := json.Marshal(gv)
			t.Errorf("unexpected key %q = %s", k, gb)
		}
	}
}
