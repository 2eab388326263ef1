package upstreamtest

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/tokens"
)

type oauthSession struct {
	client   domain.ID
	user     *userState // nil for a client's own session
	scope    []string
	finished bool
}

type compatSession struct {
	user     *userState
	device   string
	admin    bool
	finished bool
}

type personalSession struct {
	actor       *userState
	ownerUser   *userState
	ownerClient *domain.ID
	scope       []string
	revoked     bool
}

// clients are the generated OAuth 2.0 clients.
type clients struct {
	public, confidential, static domain.ID
}

// providers are the generated upstream providers.
type providers struct {
	main, disabled domain.ID
}

func (g *generator) build() error {
	g.migrations()
	p, err := g.providers()
	if err != nil {
		return err
	}
	c, err := g.clients()
	if err != nil {
		return err
	}
	for i := range g.opts.Users {
		g.user(i, fmt.Sprintf("user%04d", i), p, c)
	}
	g.clientSession(c)
	g.registrationTokens()
	g.policyData()
	g.queueJobs()
	if g.opts.Anomalies {
		g.anomalies(c)
	}
	for table, rows := range g.rows {
		g.fixture.Rows[table] = len(rows)
	}
	return nil
}

// migrations fills upstream's sqlx ledger. sqlx stores the SHA-384 of each
// migration file; these hash the description, which has the same shape.
func (g *generator) migrations() {
	for i, m := range []struct {
		version     int64
		description string
	}{
		{20220530084123, "jobs"},
		{20220709210445, "upstream oauth"},
		{20221018142001, "compat sessions"},
		{20240207100003, "user terms"},
		{20241004075132, "queue worker"},
		{20250113102144, "user registrations"},
		{20250124151529, "unsupported threepids table"},
		{20250312094013, "upstream oauth2 providers order"},
		{20250602212100, "user registration tokens"},
		{20250915092635, "requires pg trgm users username trgm idx"},
	} {
		sum := sha512.Sum384([]byte(m.description))
		g.add("_sqlx_migrations", m.version, m.description, g.now().Add(-90*24*time.Hour+time.Duration(i)*time.Second),
			true, sum[:], int64(1500000+i*250000))
	}
}

func (g *generator) providers() (providers, error) {
	var p providers
	secret, err := g.opts.Encrypt([]byte("upstream-client-secret"))
	if err != nil {
		return p, err
	}
	var at time.Time
	p.main, at = g.next()
	g.add("upstream_oauth_providers", uuid(p.main), "https://idp.example.com/", "Example IdP", "github",
		"openid email profile", "mas-fixture", secret, nil, "client_secret_post", "RS256", false, nil, at, nil,
		`{"subject": {"template": "{{ user.sub }}"}, "skip_confirmation": false,
		  "localpart": {"action": "require", "template": "{{ user.preferred_username }}", "on_conflict": "fail"},
		  "displayname": {"action": "suggest", "template": "{{ user.name }}"},
		  "email": {"action": "require", "template": "{{ user.email }}"},
		  "account_name": {"template": "{{ user.email }}"}}`,
		nil, nil, nil, nil, "oidc", "auto", "query", `[["prompt", "login"]]`, false, "logout_browser_only", false, int32(0))
	p.disabled, at = g.next()
	g.add("upstream_oauth_providers", uuid(p.disabled), nil, "Old IdP", nil,
		"openid", "old-client", nil, nil, "none", "ES256", true, nil, at, g.at(-24*time.Hour),
		`{}`, "https://old.example.com/jwks", "https://old.example.com/authorize", "https://old.example.com/token",
		"https://old.example.com/userinfo", "disabled", "s256", "form_post", nil, true, "logout_all", true, int32(1))
	return p, nil
}

func (g *generator) clients() (clients, error) {
	var c clients
	var at time.Time
	c.public, at = g.next()
	digest := sha512.Sum512_256([]byte(c.public.String()))
	g.add("oauth2_clients", uuid(c.public), nil, []string{"com.example.app:/callback", "http://127.0.0.1/callback"},
		true, true, false, true, "Fixture App", "https://app.example.com/logo.png", "https://app.example.com/",
		"https://app.example.com/policy", "https://app.example.com/tos", nil, nil, nil, nil,
		"none", nil, nil, "native", []string{"admin@app.example.com"}, false, hex.EncodeToString(digest[:]))
	g.fixture.Clients = append(g.fixture.Clients, Client{ID: c.public, AuthMethod: "none"})
	_ = at

	for _, spec := range []struct {
		id     *domain.ID
		method string
		static bool
	}{{&c.confidential, "client_secret_basic", false}, {&c.static, "client_secret_post", true}} {
		*spec.id, _ = g.next()
		secret, err := tokens.RandomAlphanumeric(g.entropy, 20)
		if err != nil {
			return c, err
		}
		enc, err := g.opts.Encrypt([]byte(secret))
		if err != nil {
			return c, err
		}
		g.add("oauth2_clients", uuid(*spec.id), enc, []string{"https://web.example.com/callback"},
			true, true, true, false, "Fixture Web "+spec.method, nil, "https://web.example.com/", nil, nil,
			`{"keys": []}`, nil, "RS256", nil, spec.method, nil, "https://web.example.com/login", "web",
			[]string{}, spec.static, nil)
		g.fixture.Clients = append(g.fixture.Clients, Client{ID: *spec.id, AuthMethod: spec.method, Secret: secret, Static: spec.static})
	}
	return c, nil
}

// user writes one user and everything that hangs off it. The index i
// varies the states: some users are locked, deactivated, admins or
// guests; some sessions finished, some tokens expired, revoked or
// consumed.
func (g *generator) user(i int, username string, p providers, c clients) *userState {
	id, created := g.next()
	u := &userState{id: id, username: username, locked: i%11 == 5, deact: i%13 == 7}
	admin, guest := i%7 == 0, i%17 == 3
	var locked, deact *time.Time
	if u.locked {
		locked = g.at(-2 * time.Hour)
	}
	if u.deact {
		deact = g.at(-3 * time.Hour)
	}
	g.add("users", uuid(id), username, created, timep(locked), timep(deact), admin, guest)
	fu := User{ID: id, Username: username, Valid: u.valid()}

	pwID, at := g.next()
	g.add("user_passwords", uuid(pwID), uuid(id), g.hash, int32(1), nil, at)
	if i%4 == 1 {
		prev := pwID
		pwID, at = g.next()
		g.add("user_passwords", uuid(pwID), uuid(id), g.hash, int32(2), uuid(prev), at)
	}

	fu.Emails = []string{username + "@example.org"}
	if i%3 == 2 {
		fu.Emails = append(fu.Emails, "Alt."+username+"@Example.ORG")
	}
	for _, e := range fu.Emails {
		eid, at := g.next()
		g.add("user_emails", uuid(eid), uuid(id), e, at)
	}
	if i%5 == 4 {
		g.add("user_unsupported_third_party_ids", uuid(id), "msisdn", fmt.Sprintf("4479000%05d", i), created)
	}
	g.fixture.Users = append(g.fixture.Users, fu)
	if guest {
		return u // guests brought over from Synapse have no sessions
	}

	bs, at := g.next()
	g.add("user_sessions", uuid(bs), uuid(id), at, nil, "Mozilla/5.0 (fixture)", g.at(-10*time.Minute),
		ip(fmt.Sprintf("192.0.2.%d", 1+i%250)))
	auth, at := g.next()
	g.add("user_session_authentications", uuid(auth), uuid(bs), at, uuid(pwID), nil)
	if i%2 == 1 {
		old, at := g.next()
		g.add("user_sessions", uuid(old), uuid(id), at, g.at(-24*time.Hour), "curl/8", nil, ip("2001:db8::1"))
	}
	if i%4 == 0 {
		g.link(i, u, p, bs)
	}

	g.oauthSessions(i, u, bs, c)
	g.compatSessions(i, u, admin && i%2 == 0, bs)
	if i%4 == 2 {
		g.personalSessions(i, u, c)
	}
	return u
}

// link ties the user to the main provider and records the login attempt
// that authenticated the browser session.
func (g *generator) link(i int, u *userState, p providers, bs domain.ID) {
	link, at := g.next()
	g.add("upstream_oauth_links", uuid(link), uuid(p.main), uuid(u.id), fmt.Sprintf("subject-%04d", i),
		u.username+"@idp.example.com", at)
	sess, at := g.next()
	claims := fmt.Sprintf(`{"iss": "https://idp.example.com/", "sub": "subject-%04d", "sid": "sid-%04d", "aud": "mas-fixture"}`, i, i)
	g.add("upstream_oauth_authorization_sessions", uuid(sess), uuid(p.main), uuid(link), uuid(bs),
		fmt.Sprintf("state-%s", sess), "verifier-"+sess.String(), "nonce-"+sess.String(), "eyJhbGciOiJSUzI1NiJ9.e30.sig",
		claims, fmt.Sprintf(`{"sub": "subject-%04d", "email": "%s@idp.example.com"}`, i, u.username), nil,
		at, at.Add(time.Second), at.Add(2*time.Second), nil)
	auth, at := g.next()
	g.add("user_session_authentications", uuid(auth), uuid(bs), at, nil, uuid(sess))
}

func (g *generator) oauthSessions(i int, u *userState, bs domain.ID, c clients) {
	device := fmt.Sprintf("OAUTHDEV%04d", i)
	scope := []string{domain.ScopeOpenID, domain.ScopeMatrixAPI, domain.ScopeDevicePrefix + device}
	if i%3 == 1 {
		scope = []string{domain.ScopeOpenID, domain.ScopeMatrixAPIUnstable, domain.ScopeDevicePrefixUnstable + device}
	}
	s := &oauthSession{client: c.public, user: u, scope: scope, finished: i%6 == 5}
	g.oauthSession(i, s, &bs)
	if i%5 == 2 {
		web := &oauthSession{client: c.confidential, user: u, scope: []string{domain.ScopeOpenID, domain.ScopeMASGraphQL}}
		g.oauthSession(i, web, &bs)
	}
}

// oauthSession writes a session with an expired access token and the
// consumed refresh token it came with, the current pair, and for some a
// revoked pair.
func (g *generator) oauthSession(i int, s *oauthSession, bs *domain.ID) {
	sid, at := g.next()
	var finished *time.Time
	if s.finished {
		finished = g.at(-30 * time.Minute)
	}
	var user *domain.ID
	if s.user != nil {
		user = &s.user.id
	} else {
		bs = nil
	}
	var name any
	if i%2 == 0 {
		name = fmt.Sprintf("Phone %d", i)
	}
	g.add("oauth2_sessions", uuid(sid), uuidp(bs), uuid(s.client), uuidp(user), s.scope, at, timep(finished),
		"Fixture/1.0", g.at(-5*time.Minute), ip("198.51.100.7"), name)

	oldAccess, oldAt := g.accessToken(sid, s, g.at(-time.Hour), nil)
	currentAccess, _ := g.accessToken(sid, s, g.at(time.Hour), nil)
	if s.user == nil {
		return // client_credentials: no refresh token
	}
	// The consumed token points at the current one, which is newer: the
	// rows must be loaded in an order that respects that.
	current, curAt := g.next()
	old := g.ids.New(oldAt.Add(time.Millisecond))
	oldValue, curValue := g.token(tokens.RefreshToken), g.token(tokens.RefreshToken)
	g.add("oauth2_refresh_tokens", uuid(old), uuid(sid), uuid(oldAccess), oldValue, uuid(current), oldAt, curAt, nil)
	g.add("oauth2_refresh_tokens", uuid(current), uuid(sid), uuid(currentAccess), curValue, nil, curAt, nil, nil)
	g.want(oldValue, "mar", s.user, oauthAnswer(false, s))
	g.want(curValue, "mar", s.user, oauthAnswer(true, s))
	if i%5 == 0 {
		revokedAccess, _ := g.accessToken(sid, s, g.at(time.Hour), g.at(-time.Minute))
		rid, at := g.next()
		v := g.token(tokens.RefreshToken)
		g.add("oauth2_refresh_tokens", uuid(rid), uuid(sid), uuid(revokedAccess), v, nil, at, nil, g.at(-time.Minute))
		g.want(v, "mar", s.user, oauthAnswer(false, s))
	}
	if i%8 == 3 {
		g.accessToken(sid, s, nil, nil) // no expiry
	}
}

func (g *generator) accessToken(sid domain.ID, s *oauthSession, expires, revoked *time.Time) (domain.ID, time.Time) {
	id, at := g.next()
	v := g.token(tokens.AccessToken)
	var firstUsed any
	if g.rnd.IntN(2) == 0 {
		firstUsed = at.Add(time.Second)
	}
	g.add("oauth2_access_tokens", uuid(id), uuid(sid), v, timep(expires), timep(revoked), at, firstUsed)
	g.want(v, "mat", s.user, oauthAnswer(revoked == nil && alive(expires, g.now()), s))
	return id, at
}

func (g *generator) compatSessions(i int, u *userState, admin bool, bs domain.ID) {
	s := &compatSession{user: u, device: fmt.Sprintf("COMPATDEV%04d", i), admin: admin, finished: i%10 == 9}
	var browser *domain.ID
	if i%3 == 0 {
		browser = &bs // an SSO login
	}
	sid := g.compatSession(s, browser)
	g.compatAccess(sid, s, nil, "") // never expires
	oldAccess := g.compatAccess(sid, s, g.at(-time.Hour), "")
	g.compatRefresh(sid, s, oldAccess, true)
	newAccess := g.compatAccess(sid, s, g.at(time.Hour), "")
	g.compatRefresh(sid, s, newAccess, false)

	if i%5 == 1 {
		ended := &compatSession{user: u, device: fmt.Sprintf("ENDEDDEV%04d", i), finished: true}
		g.compatAccess(g.compatSession(ended, nil), ended, nil, "")
	}
	if i%9 == 4 {
		// A deviceless session syn2mas made from a Synapse token.
		bare := &compatSession{user: u}
		random, _ := tokens.RandomAlphanumeric(g.entropy, 20)
		check, _ := tokens.RandomAlphanumeric(g.entropy, 6)
		syt := "syt_" + base64.RawURLEncoding.EncodeToString([]byte(u.username)) + "_" + random + "_" + check
		g.compatAccess(g.compatSession(bare, nil), bare, nil, syt)
	}
}

func (g *generator) compatSession(s *compatSession, browser *domain.ID) domain.ID {
	sid, at := g.next()
	var finished *time.Time
	if s.finished {
		finished = g.at(-20 * time.Minute)
	}
	g.add("compat_sessions", uuid(sid), uuid(s.user.id), strOrNil(s.device), uuidp(browser), at, timep(finished),
		s.admin, g.at(-3*time.Minute), ip("203.0.113.9"), "Element Android", strOrNil(s.device))
	return sid
}

// compatAccess writes an access token: value, when given, is a Synapse
// token brought over by syn2mas.
func (g *generator) compatAccess(sid domain.ID, s *compatSession, expires *time.Time, value string) domain.ID {
	id, at := g.next()
	kind := "syt"
	if value == "" {
		value, kind = g.token(tokens.CompatAccessToken), "mct"
	}
	g.add("compat_access_tokens", uuid(id), uuid(sid), value, at, timep(expires))
	g.want(value, kind, s.user, compatAnswer(alive(expires, g.now()), s))
	return id
}

func (g *generator) compatRefresh(sid domain.ID, s *compatSession, access domain.ID, consumed bool) {
	id, at := g.next()
	v := g.token(tokens.CompatRefreshToken)
	var consumedAt any
	if consumed {
		consumedAt = at.Add(time.Minute)
	}
	g.add("compat_refresh_tokens", uuid(id), uuid(sid), uuid(access), v, at, consumedAt)
	g.want(v, "mcr", s.user, compatAnswer(!consumed, s))
}

// personalSessions: a session the user owns with its current token and a
// revoked predecessor, one with an expired token, a revoked session whose
// token was never revoked, and (for one user) a session a client owns.
func (g *generator) personalSessions(i int, u *userState, c clients) {
	scope := []string{domain.ScopeMatrixAPI}
	own := &personalSession{actor: u, ownerUser: u, scope: scope}
	sid := g.personalSession(own, "CI bot")
	g.pat(sid, own, nil, g.at(-time.Hour))
	g.pat(sid, own, g.at(24*time.Hour), nil)

	expired := &personalSession{actor: u, ownerUser: u, scope: scope}
	g.pat(g.personalSession(expired, "old script"), expired, g.at(-time.Hour), nil)

	ended := &personalSession{actor: u, ownerUser: u, scope: scope, revoked: true}
	g.pat(g.personalSession(ended, "revoked"), ended, nil, nil)

	if i == 2 {
		client := c.confidential
		owned := &personalSession{actor: u, ownerClient: &client, scope: []string{domain.ScopeMatrixAPI, domain.ScopeSynapseAdmin}}
		g.pat(g.personalSession(owned, "client bot"), owned, nil, nil)
	}
}

func (g *generator) personalSession(s *personalSession, name string) domain.ID {
	sid, at := g.next()
	var owner *domain.ID
	if s.ownerUser != nil {
		owner = &s.ownerUser.id
	}
	var revoked *time.Time
	if s.revoked {
		revoked = g.at(-time.Hour)
	}
	g.add("personal_sessions", uuid(sid), uuidp(owner), uuidp(s.ownerClient), uuid(s.actor.id), name, s.scope, at,
		timep(revoked), g.at(-time.Minute), ip("192.0.2.200"))
	return sid
}

func (g *generator) pat(sid domain.ID, s *personalSession, expires, revoked *time.Time) {
	id, at := g.next()
	v := g.token(tokens.PersonalAccessToken)
	g.add("personal_access_tokens", uuid(id), uuid(sid), sha(v), at, timep(expires), timep(revoked))
	g.want(v, "mpt", s.actor, personalAnswer(revoked == nil && alive(expires, g.now()), s))
}

// clientSession is a client_credentials session: no user.
func (g *generator) clientSession(c clients) {
	g.oauthSession(0, &oauthSession{client: c.confidential, scope: []string{domain.ScopeMASGraphQL}}, nil)
}

func (g *generator) registrationTokens() {
	for _, t := range []struct {
		token            string
		limit            any
		used             int32
		expires, revoked *time.Time
	}{
		{"fixture-token-a", int32(5), 2, nil, nil},
		{"fixture-token-revoked", nil, 0, nil, g.at(-time.Hour)},
		{"fixture-token-expired", int32(1), 1, g.at(-time.Hour), nil},
	} {
		id, at := g.next()
		var lastUsed any
		if t.used > 0 {
			lastUsed = at.Add(time.Hour)
		}
		g.add("user_registration_tokens", uuid(id), t.token, t.limit, t.used, at, lastUsed, timep(t.expires), timep(t.revoked))
	}
}

func (g *generator) policyData() {
	for _, data := range []string{`{"admin_users": ["user0000"]}`, `{"admin_users": ["user0000"], "emails": {"banned_addresses": {"literals": ["spam@example.com"]}}}`} {
		id, at := g.next()
		g.add("policy_data", uuid(id), at, data)
	}
}

func (g *generator) queueJobs() {
	for _, q := range []string{"provision-user", "sync-devices"} {
		id, at := g.next()
		g.add("queue_jobs", uuid(id), q, `{"user_id": "x"}`, `{}`, int32(1), at)
	}
}

// anomalies adds what upstream allows and this service refuses: "Casey"
// and "casey" (the lowercase one is kept), the first user's address again
// in capitals on the second user (the older row is kept), and an
// authentication with neither method.
func (g *generator) anomalies(c clients) {
	users := g.fixture.Users
	upper := g.user(1001, "Casey", providers{}, c)
	lower := g.user(1003, "casey", providers{}, c)
	a := &Anomalies{UserSkipped: g.find(upper.id), UserKept: g.find(lower.id)}

	first, second := users[0], users[1]
	a.EmailKept = g.emailID(first.ID, first.Emails[0])
	var at time.Time
	a.EmailSkipped, at = g.next()
	g.add("user_emails", uuid(a.EmailSkipped), uuid(second.ID), upperASCII(first.Emails[0]), at)

	bs := g.browserSession(first.ID)
	a.AuthWithoutMethod, at = g.next()
	g.add("user_session_authentications", uuid(a.AuthWithoutMethod), uuid(bs), at, nil, nil)
	g.fixture.Anomalies = a
}

func (g *generator) find(id domain.ID) User {
	for _, u := range g.fixture.Users {
		if u.ID == id {
			return u
		}
	}
	panic("upstreamtest: unknown user " + id.String())
}

// emailID finds the row of an address written earlier.
func (g *generator) emailID(user domain.ID, email string) domain.ID {
	for _, r := range g.rows["user_emails"] {
		if r[1] == uuid(user) && r[2] == email {
			return domain.ID(r[0].([16]byte))
		}
	}
	panic("upstreamtest: no such email " + email)
}

func (g *generator) browserSession(user domain.ID) domain.ID {
	for _, r := range g.rows["user_sessions"] {
		if r[1] == uuid(user) {
			return domain.ID(r[0].([16]byte))
		}
	}
	panic("upstreamtest: no browser session for " + user.String())
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
