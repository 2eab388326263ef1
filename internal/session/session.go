// Package session manages browser sessions (the encrypted `session` cookie),
// CSRF protection for the HTML forms, and the "post-authentication action"
// that carries a user from a protocol page through the login page and back.
//
// Both cookies use upstream's formats (sealed JSON, the cookie name as
// associated data), so a browser logged in before a switch between
// implementations stays logged in afterwards.
package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/encrypt"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/store"
)

// Cookie names, as upstream spells them.
const (
	CookieSession = "session"
	CookieCSRF    = "csrf"
)

// permanentCookieAge is how long the browser keeps the session cookie; the
// session itself ends server-side (logout, expiry jobs), never by the
// cookie running out. Upstream's "permanent" cookies last 20 years.
const permanentCookieAge = 20 * 365 * 24 * time.Hour

// Options configure a Manager.
type Options struct {
	Store     store.Store
	Encrypter *encrypt.Encrypter
	// URLs gives the cookie path (the public base's path) and whether
	// cookies are Secure (an https public base).
	URLs  *routes.URLBuilder
	Clock clock.Clock
	// Rand supplies CSRF tokens (crypto/rand in production).
	Rand io.Reader
}

// Manager reads and writes the browser-session and CSRF cookies. It is safe
// for concurrent use.
type Manager struct {
	store  store.Store
	enc    *encrypt.Encrypter
	clock  clock.Clock
	rand   io.Reader
	path   string
	secure bool
	cop    *http.CrossOriginProtection
}

// New returns a Manager.
func New(opts Options) (*Manager, error) {
	if opts.Store == nil || opts.Encrypter == nil || opts.URLs == nil || opts.Clock == nil || opts.Rand == nil {
		return nil, errors.New("session: Store, Encrypter, URLs, Clock and Rand are required")
	}
	base, err := url.Parse(opts.URLs.Base())
	if err != nil {
		return nil, fmt.Errorf("session: public base: %w", err)
	}
	// Browsers say where a form was posted from (Sec-Fetch-Site, Origin);
	// a cross-site POST is refused before the CSRF token is even looked
	// at. The public origin is trusted explicitly because a reverse proxy
	// may hand us a Host header that differs from it.
	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin(base.Scheme + "://" + base.Host); err != nil {
		return nil, fmt.Errorf("session: public base origin: %w", err)
	}
	return &Manager{
		store:  opts.Store,
		enc:    opts.Encrypter,
		clock:  opts.Clock,
		rand:   opts.Rand,
		path:   opts.URLs.Prefix() + "/",
		secure: base.Scheme == "https",
		cop:    cop,
	}, nil
}

// Current is the logged-in browser session and its user.
type Current struct {
	Session *domain.BrowserSession
	User    *domain.User
}

// sessionCookie is the JSON payload of the session cookie.
type sessionCookie struct {
	Current *domain.ID `json:"current"`
}

// Current returns the request's active browser session, or nil when there
// is none: no cookie, a cookie that does not decrypt (tampered, another
// key), a finished session, or a user who is locked or deactivated. Only
// store failures are errors.
func (m *Manager) Current(r *http.Request) (*Current, error) {
	return m.CurrentWith(r, m.fromStore(r))
}

// CurrentWith is Current with the browser session and its user read by
// lookup, which a handler may make read what it needs too, in the same
// round trip. lookup is called only when the request carries a session
// cookie; store.ErrNotFound from it means no session.
func (m *Manager) CurrentWith(r *http.Request, lookup func(id domain.ID) (*domain.BrowserSession, *domain.User, error)) (*Current, error) {
	cur, err := m.activeWith(r, lookup)
	if cur == nil || err != nil || !cur.User.IsValid() {
		return nil, err
	}
	return cur, nil
}

// active returns the request's active browser session and its user,
// whatever the user's state; nil when there is none.
func (m *Manager) active(r *http.Request) (*Current, error) {
	return m.activeWith(r, m.fromStore(r))
}

// fromStore looks a browser session up on its own.
func (m *Manager) fromStore(r *http.Request) func(id domain.ID) (*domain.BrowserSession, *domain.User, error) {
	return func(id domain.ID) (*domain.BrowserSession, *domain.User, error) {
		return m.store.BrowserSessions().LookupWithUser(r.Context(), id)
	}
}

func (m *Manager) activeWith(r *http.Request, lookup func(id domain.ID) (*domain.BrowserSession, *domain.User, error)) (*Current, error) {
	id, ok := m.sessionID(r)
	if !ok {
		return nil, nil
	}
	bs, u, err := lookup(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("session: loading browser session: %w", err)
	}
	if !bs.Active() {
		return nil, nil
	}
	return &Current{Session: bs, User: u}, nil
}

// HasSessionCookie reports whether the request carries a valid session
// cookie, without asking the store whether its session is still active:
// enough to send the browser on to a page that calls Current anyway.
func (m *Manager) HasSessionCookie(r *http.Request) bool {
	_, ok := m.sessionID(r)
	return ok
}

func (m *Manager) sessionID(r *http.Request) (domain.ID, bool) {
	var payload sessionCookie
	if !m.load(r, CookieSession, &payload) || payload.Current == nil {
		return domain.ZeroID, false
	}
	return *payload.Current, true
}

// Create records a new browser session for user inside repos (a
// transaction, typically together with other writes of the login), with a
// password authentication when passwordID is set. The caller sets the
// cookie with SetCookie once the transaction has committed.
func (m *Manager) Create(ctx context.Context, repos store.Repos, r *http.Request, user *domain.User, passwordID *domain.ID) (*domain.BrowserSession, error) {
	bs, err := repos.BrowserSessions().Add(ctx, user.ID, userAgent(r))
	if err != nil {
		return nil, fmt.Errorf("session: creating browser session: %w", err)
	}
	if passwordID != nil {
		if _, err := repos.BrowserSessions().Authenticate(ctx, bs.ID, passwordID, nil); err != nil {
			return nil, fmt.Errorf("session: recording authentication: %w", err)
		}
	}
	if ip := requestctx.ClientIP(ctx); ip.IsValid() {
		if err := repos.BrowserSessions().RecordActivity(ctx, bs.ID, m.clock.Now(), ip.String()); err != nil {
			return nil, fmt.Errorf("session: recording activity: %w", err)
		}
	}
	return bs, nil
}

// SetCookie makes bs the browser's current session.
func (m *Manager) SetCookie(w http.ResponseWriter, bs *domain.BrowserSession) error {
	return m.save(w, CookieSession, sessionCookie{Current: &bs.ID}, permanentCookieAge)
}

// Start creates a browser session for user (see Create) in its own
// transaction and sets the cookie.
func (m *Manager) Start(w http.ResponseWriter, r *http.Request, user *domain.User, passwordID *domain.ID) (*domain.BrowserSession, error) {
	var bs *domain.BrowserSession
	err := store.WithTx(r.Context(), m.store, func(tx store.Tx) error {
		var err error
		bs, err = m.Create(r.Context(), tx, r, user, passwordID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := m.SetCookie(w, bs); err != nil {
		return nil, err
	}
	return bs, nil
}

// End finishes the request's browser session, if it has an active one, and
// clears the cookie either way.
func (m *Manager) End(w http.ResponseWriter, r *http.Request) error {
	m.clear(w, CookieSession)
	id, ok := m.sessionID(r)
	if !ok {
		return nil
	}
	ctx := r.Context()
	bs, err := m.store.BrowserSessions().Lookup(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("session: loading browser session: %w", err)
	}
	if !bs.Active() {
		return nil
	}
	err = m.store.BrowserSessions().Finish(ctx, bs)
	if err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, domain.ErrInvalidTransition) {
		return fmt.Errorf("session: finishing browser session: %w", err)
	}
	return nil
}

// load opens the named cookie into v; false when it is absent or does not
// decrypt or decode, all of which mean "no cookie" to the caller.
func (m *Manager) load(r *http.Request, name string, v any) bool {
	c, err := r.Cookie(name)
	if err != nil {
		return false
	}
	plain, err := m.enc.OpenCookie(name, c.Value)
	if err != nil {
		return false
	}
	return json.Unmarshal(plain, v) == nil
}

// save seals v as the named cookie. maxAge 0 makes a browser-session
// cookie.
func (m *Manager) save(w http.ResponseWriter, name string, v any, maxAge time.Duration) error {
	plain, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("session: encoding %s cookie: %w", name, err)
	}
	sealed, err := m.enc.SealCookie(name, plain)
	if err != nil {
		return fmt.Errorf("session: sealing %s cookie: %w", name, err)
	}
	c := m.cookie(name, sealed)
	if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
		c.Expires = m.clock.Now().Add(maxAge)
	}
	http.SetCookie(w, c)
	return nil
}

func (m *Manager) clear(w http.ResponseWriter, name string) {
	c := m.cookie(name, "")
	c.MaxAge = -1
	http.SetCookie(w, c)
}

func (m *Manager) cookie(name, value string) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     m.path,
		HttpOnly: true,
		Secure:   m.secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// userAgent prefers the value the HTTP layer recorded for the request.
func userAgent(r *http.Request) string {
	if ua := requestctx.UserAgent(r.Context()); ua != "" {
		return ua
	}
	return r.UserAgent()
}

// HasCookie reports whether the browser holds a session cookie, active or
// not: with no current session, it was signed out (the session was ended
// elsewhere, or expired), which the upstream providers' logged_out
// template variable tells.
func (m *Manager) HasCookie(r *http.Request) bool {
	_, ok := m.sessionID(r)
	return ok
}
