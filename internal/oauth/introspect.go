package oauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/tokencache"
	"mas/internal/tokens"
)

// introspectionResponse is the RFC 7662 answer, with upstream's field
// order and its device_id extension. Absent values are omitted, which is
// how Synapse tells a non-expiring token (no expires_in) from others.
type introspectionResponse struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Username  string `json:"username,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	Exp       *int64 `json:"exp,omitempty"`
	ExpiresIn *int64 `json:"expires_in,omitempty"`
	Iat       *int64 `json:"iat,omitempty"`
	Nbf       *int64 `json:"nbf,omitempty"`
	Sub       string `json:"sub,omitempty"`
	Jti       string `json:"jti,omitempty"`
	DeviceID  string `json:"device_id,omitempty"`
}

// inactive is the answer for every token that does not grant anything:
// unknown, malformed, expired, revoked, of an ended session or of a locked
// or deactivated user. RFC 7662 §2.2 forbids saying which.
var inactive = &introspectionResponse{}

// Values of token_type and token_type_hint (RFC 7009 §4.1.2).
const (
	hintAccessToken  = "access_token"
	hintRefreshToken = "refresh_token"
)

// headerSupportsDeviceID is sent by Synapse to get compat devices in the
// device_id field instead of the scope (device IDs that Synapse made up
// need not be valid scope tokens).
const headerSupportsDeviceID = "X-MAS-Supports-Device-Id"

// introspect serves POST /oauth2/introspect. The homeserver authenticates
// with the shared secret as a bearer token; other callers are confidential
// clients.
func (h *Handler) introspect(w http.ResponseWriter, r *http.Request) {
	if e := parseForm(w, r); e != nil {
		writeError(w, e)
		return
	}
	if bearer, ok := bearerToken(r); ok {
		if h.Homeserver == nil || !h.Homeserver.VerifyToken(bearer) {
			writeError(w, newError(ErrAccessDenied, http.StatusUnauthorized, "bearer token presented is invalid"))
			return
		}
	} else {
		client, e := h.authenticateClient(r)
		if e != nil {
			writeError(w, e)
			return
		}
		if client.TokenEndpointAuthMethod == "" || client.TokenEndpointAuthMethod == "none" {
			writeError(w, newError(ErrAccessDenied, http.StatusUnauthorized, "public clients may not introspect tokens"))
			return
		}
	}
	token, e := requiredFormParam(r.PostForm, "token")
	if e != nil {
		writeError(w, e)
		return
	}
	hint, e := formParam(r.PostForm, "token_type_hint")
	if e != nil {
		writeError(w, e)
		return
	}
	explicitDeviceID := r.Header.Get(headerSupportsDeviceID) == "1"
	if cacheable(token, hint) && h.serveCached(w, token, explicitDeviceID) {
		return
	}
	resp, err := h.introspectToken(r.Context(), token, hint, explicitDeviceID)
	if err != nil {
		writeError(w, h.serverFault(r.Context(), "introspecting token", err))
		return
	}
	writeIntrospection(w, resp)
}

// introspectToken answers for one token. The format check (prefix and CRC)
// turns junk away before the database is asked.
func (h *Handler) introspectToken(ctx context.Context, token, hint string, explicitDeviceID bool) (*introspectionResponse, error) {
	kind, err := tokens.Check(token)
	if err != nil {
		return inactive, nil
	}
	if hint != "" && hint != hintFor(kind) {
		return inactive, nil
	}
	// Access tokens are what Synapse asks about: they are cached (the
	// handler answered from the cache already if it could). The generation
	// is taken before the lookup: an invalidation committed while it runs
	// keeps its answer out of the cache.
	var g tokencache.Generation
	switch kind {
	case tokens.AccessToken, tokens.CompatAccessToken, tokens.PersonalAccessToken:
		g = h.Introspection.Generation()
	}
	switch kind {
	case tokens.AccessToken:
		return h.introspectAccessToken(ctx, token, g)
	case tokens.RefreshToken:
		return h.introspectRefreshToken(ctx, token)
	case tokens.CompatAccessToken:
		return h.introspectCompatAccessToken(ctx, token, explicitDeviceID, g)
	case tokens.CompatRefreshToken:
		return h.introspectCompatRefreshToken(ctx, token, explicitDeviceID)
	case tokens.PersonalAccessToken:
		return h.introspectPersonalAccessToken(ctx, token, g)
	}
	return inactive, nil
}

// hintFor is the token_type_hint that names a kind of token.
func hintFor(kind tokens.Type) string {
	switch kind {
	case tokens.RefreshToken, tokens.CompatRefreshToken:
		return hintRefreshToken
	default:
		return hintAccessToken
	}
}

// notFoundAsInactive maps "no such row" to an inactive answer and passes
// other errors on.
func notFoundAsInactive(err error) (*introspectionResponse, error) {
	if errors.Is(err, store.ErrNotFound) {
		return inactive, nil
	}
	return nil, err
}

func (h *Handler) introspectAccessToken(ctx context.Context, token string, g tokencache.Generation) (*introspectionResponse, error) {
	at, s, user, err := h.Store.AccessTokens().FindForIntrospection(ctx, token)
	if err != nil {
		return notFoundAsInactive(err)
	}
	now := h.Clock.Now()
	if !at.Valid(now) || !s.Active() || (s.UserID != nil && (user == nil || !user.IsValid())) {
		return inactive, nil
	}
	// The first use is what tells a lost token response from a replayed
	// refresh token (see refreshTokenGrant); later uses write nothing, so
	// it is marked before the answer is cached.
	if at.FirstUsedAt == nil {
		if err := h.Store.AccessTokens().MarkUsed(ctx, at); err != nil {
			return nil, err
		}
	}
	// Upstream records no address here either: the caller is the
	// homeserver, not the user.
	h.recordActivity(ctx, s, "")
	resp := oauthIntrospection(s, user, hintAccessToken, at.CreatedAt, at.ID)
	refs := []tokencache.Ref{ref(store.InvalidateAccessToken, at.ID), ref(store.InvalidateOAuthSession, s.ID)}
	if s.UserID != nil {
		refs = append(refs, ref(store.InvalidateUser, *s.UserID))
	}
	h.cacheAnswer(g, token, newCachedIntrospection(at.ExpiresAt, store.ActivityOAuthSession, s.ID), resp, refs...)
	if at.ExpiresAt != nil {
		resp.Exp = unixSeconds(*at.ExpiresAt)
		resp.ExpiresIn = secondsUntil(now, *at.ExpiresAt)
	}
	return resp, nil
}

func (h *Handler) introspectRefreshToken(ctx context.Context, token string) (*introspectionResponse, error) {
	rt, err := h.Store.RefreshTokens().FindByToken(ctx, token)
	if err != nil {
		return notFoundAsInactive(err)
	}
	if !rt.Valid() {
		return inactive, nil
	}
	s, err := h.Store.Sessions().Lookup(ctx, rt.SessionID)
	if err != nil {
		return nil, err
	}
	if !s.Active() {
		return inactive, nil
	}
	var user *domain.User
	if s.UserID != nil {
		if user, err = h.Store.Users().Lookup(ctx, *s.UserID); err != nil {
			return nil, err
		}
		if !user.IsValid() {
			return inactive, nil
		}
	}
	h.recordActivity(ctx, s, "")
	// Refresh tokens do not expire: no exp, no expires_in.
	return oauthIntrospection(s, user, hintRefreshToken, rt.CreatedAt, rt.ID), nil
}

// oauthIntrospection is the part of the answer OAuth 2.0 access and
// refresh tokens share.
func oauthIntrospection(s *domain.Session, user *domain.User, tokenType string, created time.Time, jti domain.ID) *introspectionResponse {
	resp := &introspectionResponse{
		Active:    true,
		Scope:     scopeString(normalizeMatrixScope(s.Scope)),
		ClientID:  s.ClientID.String(),
		TokenType: tokenType,
		Iat:       unixSeconds(created),
		Nbf:       unixSeconds(created),
		Jti:       jti.String(),
	}
	if user != nil {
		resp.Username = user.Username
		resp.Sub = user.ID.String()
	}
	return resp
}

func (h *Handler) introspectCompatAccessToken(ctx context.Context, token string, explicitDeviceID bool, g tokencache.Generation) (*introspectionResponse, error) {
	at, s, user, err := h.Store.CompatAccessTokens().FindForIntrospection(ctx, token)
	if err != nil {
		return notFoundAsInactive(err)
	}
	now := h.Clock.Now()
	if !at.Valid(now) || !s.Active() || !user.IsValid() {
		return inactive, nil
	}
	resp, ok := compatIntrospection(s, user, hintAccessToken, at.CreatedAt, explicitDeviceID)
	if !ok {
		return inactive, nil
	}
	// As for OAuth 2.0 tokens: the first use tells a lost refresh
	// response from a replayed compat refresh token.
	if at.FirstUsedAt == nil {
		if err := h.Store.CompatAccessTokens().MarkUsed(ctx, at); err != nil {
			return nil, err
		}
	}
	h.recordCompatActivity(ctx, s, "")
	h.cacheCompatAnswer(g, token, at, s, user)
	// Compat tokens made without refresh_token never expire: Synapse
	// reads the missing expires_in as "valid until revoked".
	if at.ExpiresAt != nil {
		resp.Exp = unixSeconds(*at.ExpiresAt)
		resp.ExpiresIn = secondsUntil(now, *at.ExpiresAt)
	}
	return resp, nil
}

func (h *Handler) introspectCompatRefreshToken(ctx context.Context, token string, explicitDeviceID bool) (*introspectionResponse, error) {
	rt, err := h.Store.CompatRefreshTokens().FindByToken(ctx, token)
	if err != nil {
		return notFoundAsInactive(err)
	}
	if rt.ConsumedAt != nil {
		return inactive, nil
	}
	s, err := h.Store.CompatSessions().Lookup(ctx, rt.SessionID)
	if err != nil {
		return nil, err
	}
	if !s.Active() {
		return inactive, nil
	}
	user, err := h.Store.Users().Lookup(ctx, s.UserID)
	if err != nil {
		return nil, err
	}
	if !user.IsValid() {
		return inactive, nil
	}
	resp, ok := compatIntrospection(s, user, hintRefreshToken, rt.CreatedAt, explicitDeviceID)
	if !ok {
		return inactive, nil
	}
	h.recordCompatActivity(ctx, s, "")
	return resp, nil
}

// compatIntrospection builds the answer for a compat token. Compat
// sessions may use the whole client-server API; the device goes in the
// scope unless the caller takes it in device_id. ok is false when the
// device cannot be written as a scope token and the caller needs it there.
func compatIntrospection(s *domain.CompatSession, user *domain.User, tokenType string, created time.Time, explicitDeviceID bool) (resp *introspectionResponse, ok bool) {
	scope := []string{domain.ScopeMatrixAPI, domain.ScopeMatrixAPIUnstable}
	if !explicitDeviceID && s.DeviceID != "" {
		if !isScopeToken(s.DeviceID) {
			return nil, false
		}
		scope = append(scope, domain.ScopeDevicePrefix+s.DeviceID, domain.ScopeDevicePrefixUnstable+s.DeviceID)
	}
	if s.IsSynapseAdmin {
		scope = append(scope, domain.ScopeSynapseAdmin)
	}
	return &introspectionResponse{
		Active:    true,
		Scope:     scopeString(scope),
		ClientID:  clientIDLegacy,
		Username:  user.Username,
		TokenType: tokenType,
		Iat:       unixSeconds(created),
		Nbf:       unixSeconds(created),
		Sub:       user.ID.String(),
		DeviceID:  s.DeviceID,
	}, true
}

func (h *Handler) introspectPersonalAccessToken(ctx context.Context, token string, g tokencache.Generation) (*introspectionResponse, error) {
	sum := sha256.Sum256([]byte(token))
	pat, s, actor, owner, err := h.Store.PersonalAccessTokens().FindForIntrospection(ctx, sum[:])
	if err != nil {
		return notFoundAsInactive(err)
	}
	now := h.Clock.Now()
	if !pat.Valid(now) || s.RevokedAt != nil || !actor.IsValid() {
		return inactive, nil
	}
	// A session a user owns dies with that user's account.
	if s.OwnerUserID != nil && (owner == nil || !owner.IsValid()) {
		return inactive, nil
	}
	resp := &introspectionResponse{
		Active:    true,
		Scope:     scopeString(normalizeMatrixScope(s.Scope)),
		Username:  actor.Username,
		TokenType: hintAccessToken,
		Iat:       unixSeconds(pat.CreatedAt),
		Nbf:       unixSeconds(pat.CreatedAt),
		Sub:       actor.ID.String(),
	}
	if s.OwnerClientID != nil {
		resp.ClientID = s.OwnerClientID.String()
	}
	refs := []tokencache.Ref{ref(store.InvalidatePersonalAccessToken, pat.ID), ref(store.InvalidatePersonalSession, s.ID),
		ref(store.InvalidateUser, actor.ID)}
	if s.OwnerUserID != nil {
		refs = append(refs, ref(store.InvalidateUser, *s.OwnerUserID))
	}
	h.cacheAnswer(g, token, newCachedIntrospection(pat.ExpiresAt, "", domain.ZeroID), resp, refs...)
	if pat.ExpiresAt != nil {
		resp.Exp = unixSeconds(*pat.ExpiresAt)
		resp.ExpiresIn = secondsUntil(now, *pat.ExpiresAt)
	}
	return resp, nil
}

// secondsUntil is the whole seconds left until t, rounded down.
func secondsUntil(now, t time.Time) *int64 {
	s := int64(t.Sub(now) / time.Second)
	return &s
}

// normalizeMatrixScope adds, for every Matrix API or device scope, its
// equivalent in the other (stable or MSC2967) form, so that a homeserver
// that only knows one form understands tokens granted with the other.
func normalizeMatrixScope(scope []string) []string {
	out := make([]string, 0, len(scope)+2)
	for _, s := range scope {
		out = append(out, s)
		switch s {
		case domain.ScopeMatrixAPI:
			out = append(out, domain.ScopeMatrixAPIUnstable)
		case domain.ScopeMatrixAPIUnstable:
			out = append(out, domain.ScopeMatrixAPI)
		default:
			if id, ok := domain.DeviceID(s); ok {
				out = append(out, domain.ScopeDevicePrefix+id, domain.ScopeDevicePrefixUnstable+id)
			}
		}
	}
	return out
}

// isScopeToken reports whether s can appear in a scope (RFC 6749 §3.3:
// printable ASCII except space, '"' and '\').
func isScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// clientIDLegacy is the client_id compat sessions introspect with.
const clientIDLegacy = "legacy"
