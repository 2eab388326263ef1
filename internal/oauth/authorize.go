package oauth

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/text/language"

	"mas/internal/domain"
	"mas/internal/pages"
	"mas/internal/ratelimit"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
	"mas/internal/tokens"
)

// authCodeLength is the length of authorization codes: 32 alphanumerics,
// about 190 bits.
const authCodeLength = 32

// MaxAuthorizeQueryBytes bounds the query string of an authorization
// request. Everything stored for the request comes from it, so this
// bounds what an unauthenticated visitor can make us store. Real requests
// (scopes, state, nonce, PKCE challenge, redirect URI) are well under 2 KiB.
const MaxAuthorizeQueryBytes = 8 << 10

// PKCE methods (RFC 7636).
const (
	pkceMethodS256  = "S256"
	pkceMethodPlain = "plain"
)

// authorizeRequest is an authorization request (RFC 6749 §4.1.1, OpenID
// Connect Core §3.1.2.1) once the client and the redirect URI are known.
type authorizeRequest struct {
	q               url.Values
	code            bool // response_type contains code
	idToken         bool // … id_token
	token           bool // … token
	responseTypeErr *Error
	loginHint       string
	prompts         []string
	scope           []string
	scopeErr        *Error
	challenge       string
	challengeMethod string
	pkceRequested   bool
}

// authorize serves GET /authorize. Errors about the client or the redirect
// URI are shown to the user; once both are trusted, every other error goes
// back to the client (RFC 6749 §4.1.2.1).
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// Before anything else, as nothing of the request can be trusted yet,
	// not even the redirect URI to report an error to.
	if len(r.URL.RawQuery) > MaxAuthorizeQueryBytes {
		h.Pages.Error(w, r, http.StatusRequestURITooLong, string(ErrInvalidRequest),
			templates.Msg("errors.authorize_too_long", "max", MaxAuthorizeQueryBytes))
		return
	}
	q := r.URL.Query()
	if name, ok := notText(q); ok {
		h.Pages.Error(w, r, http.StatusBadRequest, string(ErrInvalidRequest), templates.Msg("errors.param_not_text", "name", name))
		return
	}

	clientID, err := domain.ParseID(q.Get("client_id"))
	if err != nil {
		h.Pages.Error(w, r, http.StatusBadRequest, string(ErrInvalidClient), templates.Msg("errors.client_id_malformed"))
		return
	}
	client, err := h.lookupClient(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		h.Pages.Error(w, r, http.StatusBadRequest, string(ErrInvalidClient), templates.Msg("errors.client_unknown"))
		return
	}
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	redirectURI, err := resolveRedirectURI(client, q.Get("redirect_uri"))
	if err != nil {
		h.Pages.Error(w, r, http.StatusBadRequest, string(ErrInvalidRequest), templates.Msg("errors.redirect_uri_invalid", "reason", err.Error()))
		return
	}

	req := parseAuthorizeRequest(q)
	mode, ok := responseMode(q.Get("response_mode"), req)
	if !ok {
		h.Pages.Error(w, r, http.StatusBadRequest, string(ErrInvalidRequest), templates.Msg("errors.response_mode_unusable"))
		return
	}
	cb := responseTarget{redirectURI: redirectURI, mode: mode, state: q.Get("state"), clientName: client.ClientName}

	if e := req.validate(client); e != nil {
		h.refuseAuthorization(w, r, client, cb, e)
		return
	}

	grant := &domain.AuthorizationGrant{
		ClientID:            client.ID,
		RedirectURI:         redirectURI,
		Scope:               req.scope,
		State:               q.Get("state"),
		Nonce:               q.Get("nonce"),
		ResponseMode:        mode,
		ResponseTypeCode:    req.code,
		ResponseTypeIDToken: req.idToken,
		CodeChallenge:       req.challenge,
		CodeChallengeMethod: req.challengeMethod,
		LoginHint:           req.loginHint,
		Locale:              preferredLocale(r),
		RawParameters:       r.URL.RawQuery,
	}
	if req.code {
		// Made now, revealed only once the user consents.
		if grant.Code, err = tokens.RandomAlphanumeric(h.Rand, authCodeLength); err != nil {
			h.serverErrorToClient(w, r, client, cb, err)
			return
		}
	}
	// Only requests about to be stored count: they are what an
	// unauthenticated visitor could pile up.
	var limited *ratelimit.LimitedError
	if err := h.Limits.CheckAuthorization(requestctx.ClientIP(ctx)); errors.As(err, &limited) {
		h.Pages.Limited(w, r, limited)
		return
	}
	if err := h.Store.AuthorizationGrants().AddRequest(ctx, grant); err != nil {
		h.serverErrorToClient(w, r, client, cb, err)
		return
	}

	// The consent screen is always shown (nothing is remembered), and it
	// checks the browser session itself, sending the user to the login
	// page when it has ended: a session cookie is enough to go there, which
	// spares the database a lookup on every authorization. Only a request
	// that asks for the registration page when signed out needs to know
	// now.
	register := h.Settings.RegistrationEnabled && slices.Contains(req.prompts, "create")
	signedIn := h.Sessions.HasSessionCookie(r)
	if signedIn && register {
		cur, err := h.Sessions.Current(r)
		if err != nil {
			h.serverErrorToClient(w, r, client, cb, err)
			return
		}
		signedIn = cur != nil
	}
	next := session.ContinueAuthorizationGrant(grant.ID)
	switch {
	case signedIn:
		pages.SeeOther(w, r, h.URLs.Relative(routes.Consent(grant.ID.String())))
	case register:
		h.redirectToRegister(w, r, next, grant.LoginHint)
	default:
		h.redirectToLogin(w, r, next, grant.LoginHint)
	}
}

// serverErrorToClient reports a failure of ours like any other error of
// the request (see refuseAuthorization).
func (h *Handler) serverErrorToClient(w http.ResponseWriter, r *http.Request, client *domain.Client, cb responseTarget, err error) {
	requestctx.Logger(r.Context()).Error("authorization request failed", "error", err)
	h.refuseAuthorization(w, r, client, cb, newError(ErrServerError, 0, "The server could not process the request."))
}

// refuseAuthorization answers an authorization request that fails before
// the user did anything. A client the operator configured gets the error
// at its redirect URI (RFC 6749 §4.1.2.1), so it can tell its user. A
// dynamically registered client, which anyone may register with any
// redirect URI, does not: redirecting it would make this origin an open
// redirector that needs no user interaction (RFC 9700 §4.11.2), so the
// error is shown on this service's own page.
func (h *Handler) refuseAuthorization(w http.ResponseWriter, r *http.Request, client *domain.Client, cb responseTarget, e *Error) {
	if client.IsStatic {
		h.deliverError(w, r, cb, e)
		return
	}
	status := e.Status
	if status == 0 || status == http.StatusUnauthorized {
		status = http.StatusBadRequest
	}
	h.Pages.Error(w, r, status, string(e.Code), templates.Msg("errors.request_refused", "description", e.Description))
}

func parseAuthorizeRequest(q url.Values) *authorizeRequest {
	req := &authorizeRequest{q: q, loginHint: q.Get("login_hint")}
	req.parseResponseType(q.Get("response_type"))
	req.prompts = strings.Fields(q.Get("prompt"))
	req.scope, req.scopeErr = parseScope(q)
	req.challenge = q.Get("code_challenge")
	req.challengeMethod = q.Get("code_challenge_method")
	req.pkceRequested = q.Has("code_challenge") || q.Has("code_challenge_method")
	return req
}

// parseResponseType reads a space-separated set of code, id_token and
// token, or the lone none. Order does not matter.
func (req *authorizeRequest) parseResponseType(s string) {
	if s == "" {
		req.responseTypeErr = newError(ErrInvalidRequest, 0, "The response_type parameter is required.")
		return
	}
	if s == "none" {
		return
	}
	for _, t := range strings.Split(s, " ") {
		switch {
		case t == "code" && !req.code:
			req.code = true
		case t == "id_token" && !req.idToken:
			req.idToken = true
		case t == "token" && !req.token:
			req.token = true
		default:
			req.responseTypeErr = newError(ErrUnsupportedResponseType, 0, "The response_type "+s+" is not supported.")
			return
		}
	}
}

// responseMode resolves the response mode: the requested one, or the
// default for the response type. Responses carrying tokens must not be
// put in the query (OAuth 2.0 Multiple Response Types §3.0).
func responseMode(requested string, req *authorizeRequest) (string, bool) {
	tokensInResponse := req.idToken || req.token
	switch requested {
	case "":
		if tokensInResponse {
			return responseModeFragment, true
		}
		return responseModeQuery, true
	case responseModeQuery:
		return requested, !tokensInResponse
	case responseModeFragment, responseModeFormPost:
		return requested, true
	default:
		return "", false
	}
}

// validate applies the checks that are reported to the client, in
// upstream's order so that a request with several faults gets the same
// error from either implementation.
func (req *authorizeRequest) validate(client *domain.Client) *Error {
	switch {
	case req.q.Has("request"):
		return newError(ErrRequestNotSupported, 0, "The request parameter is not supported.")
	case req.q.Has("request_uri"):
		return newError(ErrRequestURINotSupported, 0, "The request_uri parameter is not supported.")
	case req.responseTypeErr != nil:
		return req.responseTypeErr
	case req.token:
		return newError(ErrUnsupportedResponseType, 0, "Response types that return an access token are not supported.")
	case req.idToken:
		// The implicit grant can never be registered, so no client may ask
		// for an ID token from this endpoint.
		return newError(ErrUnauthorizedClient, 0, "This client is not allowed to receive ID tokens from the authorization endpoint.")
	case req.q.Has("registration"):
		return newError(ErrRegistrationNotSupported, 0, "The registration parameter is not supported.")
	case slices.Contains(req.prompts, "none"):
		// There is no silent authentication: consent is always asked.
		return newError(ErrLoginRequired, 0, "The user must sign in and consent interactively.")
	case req.code && !client.GrantAuthorizationCode:
		return newError(ErrUnauthorizedClient, 0, "This client is not allowed to use the authorization code grant.")
	case !req.code && req.pkceRequested:
		return newError(ErrInvalidRequest, 0, "PKCE parameters are only allowed with response_type=code.")
	}
	if e := req.checkPKCE(); e != nil {
		return e
	}
	// A public client's code is worthless to a thief only with PKCE, and
	// plain offers no protection when the request itself leaks: RFC 9700
	// §2.1.1 asks public clients for PKCE, MSC2964 asks Matrix clients for
	// S256. Confidential clients keep PKCE optional, as upstream.
	if req.code && client.TokenEndpointAuthMethod == "none" && req.challengeMethod != pkceMethodS256 {
		return newError(ErrInvalidRequest, 0, "Public clients must use PKCE with code_challenge_method=S256.")
	}
	return req.scopeErr
}

// checkPKCE validates code_challenge and code_challenge_method (RFC 7636
// §4.3); a challenge without a method is plain.
func (req *authorizeRequest) checkPKCE() *Error {
	if !req.pkceRequested {
		return nil
	}
	if req.challenge == "" {
		return newError(ErrInvalidRequest, 0, "code_challenge_method was sent without code_challenge.")
	}
	switch req.challengeMethod {
	case "":
		req.challengeMethod = pkceMethodPlain
	case pkceMethodS256, pkceMethodPlain:
	default:
		return newError(ErrInvalidRequest, 0, "The code_challenge_method must be S256 or plain.")
	}
	if !validPKCEString(req.challenge) {
		return newError(ErrInvalidRequest, 0, "The code_challenge must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' and '~'.")
	}
	return nil
}

// validPKCEString checks the syntax RFC 7636 gives the verifier, which a
// plain challenge is and an S256 challenge (43 base64url characters) fits.
func validPKCEString(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~'
		if !ok {
			return false
		}
	}
	return true
}

// parseScope reads the scope parameter: tokens separated by single spaces
// (RFC 6749 §3.3). The result is sorted and free of duplicates, the form
// upstream stores and returns. A missing scope is an error rather than a
// default: every Matrix client must say what it needs.
func parseScope(q url.Values) ([]string, *Error) {
	raw := q.Get("scope")
	if raw == "" {
		return nil, newError(ErrInvalidScope, 0, "The scope parameter is required.")
	}
	var out []string
	for _, t := range strings.Split(raw, " ") {
		if !validScopeToken(t) {
			return nil, newError(ErrInvalidScope, 0, "The scope parameter is malformed.")
		}
		out = append(out, t)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// validScopeToken: 1*( %x21 / %x23-5B / %x5D-7E ).
func validScopeToken(t string) bool {
	if t == "" {
		return false
	}
	for _, c := range []byte(t) {
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func joinScope(scope []string) string { return strings.Join(scope, " ") }

// localeMatcher knows the languages upstream ships translations for, so
// that the locale stored on a grant (used later to name the device) is
// one either implementation understands.
var localeMatcher = language.NewMatcher([]language.Tag{
	language.English, // the default comes first
	language.Czech, language.Danish, language.German, language.Estonian, language.Finnish,
	language.French, language.Hungarian, language.MustParse("nb-NO"), language.Dutch,
	language.Polish, language.MustParse("pt-BR"), language.Portuguese, language.Russian,
	language.Slovak, language.Swedish, language.Ukrainian, language.Uzbek,
	language.MustParse("zh-Hans"),
})

var localeNames = []string{
	"en", "cs", "da", "de", "et", "fi", "fr", "hu", "nb-NO", "nl", "pl", "pt-BR", "pt", "ru", "sk", "sv", "uk", "uz", "zh-Hans",
}

// preferredLocale negotiates Accept-Language against those languages.
func preferredLocale(r *http.Request) string {
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return localeNames[0]
	}
	_, i, conf := localeMatcher.Match(tags...)
	if conf == language.No {
		return localeNames[0]
	}
	return localeNames[i]
}
