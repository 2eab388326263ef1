package oauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"time"

	"mas/internal/domain"
	"mas/internal/requestctx"
	"mas/internal/store"
)

const (
	// codeLifetime bounds the time between consent and code exchange.
	codeLifetime = 10 * time.Minute
	// codeReplayGrace is how long after an exchange a second presentation
	// of the same code is taken for a client retrying (the code fails, the
	// session lives on) rather than for a stolen code (the session the
	// code created is ended, RFC 6749 §4.1.2 / RFC 9700 §4.5).
	codeReplayGrace = 20 * time.Second
)

// authorizationCodeGrant redeems the code /authorize handed out
// (RFC 6749 §4.1.3, PKCE RFC 7636 §4.6).
type authorizationCodeGrant struct{ h *Handler }

func (g authorizationCodeGrant) exchange(ctx context.Context, r *http.Request, client *domain.Client) (*tokenResponse, *Error) {
	h := g.h
	if !client.GrantAuthorizationCode {
		return nil, unauthorizedGrantType(grantTypeAuthorizationCode)
	}
	code, e := requiredFormParam(r.PostForm, "code")
	if e != nil {
		return nil, e
	}
	redirectURI, e := formParam(r.PostForm, "redirect_uri")
	if e != nil {
		return nil, e
	}
	verifier, e := formParam(r.PostForm, "code_verifier")
	if e != nil {
		return nil, e
	}

	grant, approver, err := h.Store.AuthorizationGrants().FindByCodeWithApprover(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		// Unknown, or no browser session approved it (any more): which
		// one decides the answer below.
		grant, err = h.Store.AuthorizationGrants().FindByCode(ctx, code)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalidGrant("the authorization code is unknown")
	}
	if err != nil {
		return nil, h.serverFault(ctx, "looking up authorization code", err)
	}
	now := h.Clock.Now()
	switch grant.Stage() {
	case domain.StageExchanged:
		if e := h.endReplayedCodeSession(ctx, grant, now); e != nil {
			return nil, e
		}
		return nil, invalidGrant("the authorization code was already used")
	case domain.StageFulfilled:
	default: // pending or cancelled: the user never consented
		return nil, invalidGrant("the authorization code is not valid")
	}
	if now.Sub(*grant.FulfilledAt) > codeLifetime {
		return nil, invalidGrant("the authorization code has expired")
	}
	if grant.ClientID != client.ID {
		return nil, newError(ErrUnauthorizedClient, http.StatusUnauthorized,
			"the authorization code was issued to another client")
	}
	if e := checkRedirectURI(grant, redirectURI); e != nil {
		return nil, e
	}
	if e := verifyPKCE(grant.CodeChallengeMethod, grant.CodeChallenge, verifier); e != nil {
		return nil, e
	}
	return h.issueSession(ctx, r, approvedGrant{
		client:           client,
		browserSessionID: grant.BrowserSessionID,
		approver:         approver,
		scope:            grant.Scope,
		nonce:            grant.Nonce,
		code:             code,
		withRefresh:      true, // upstream always issues one for this grant
		kind:             "authorization code",
		exchange: func(ctx context.Context, tx store.Tx, sessionID domain.ID) error {
			return raced(tx.AuthorizationGrants().Exchange(ctx, grant, sessionID))
		},
		exchangeForSession: func(ctx context.Context, s *domain.Session, access string, expiresAt *time.Time, refresh string) error {
			_, _, err := h.Store.AuthorizationGrants().ExchangeForSession(ctx, grant, s, access, expiresAt, refresh)
			return raced(err)
		},
	})
}

// endReplayedCodeSession ends the session a code created when the code
// comes back more than codeReplayGrace after its exchange: whoever holds it
// now may not be the client that redeemed it. The user's devices are
// synced so the homeserver forgets the session's device.
func (h *Handler) endReplayedCodeSession(ctx context.Context, grant *domain.AuthorizationGrant, now time.Time) *Error {
	if grant.ExchangedAt == nil || grant.SessionID == nil || now.Sub(*grant.ExchangedAt) <= codeReplayGrace {
		return nil
	}
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error { return endSession(ctx, tx, *grant.SessionID) })
	if err != nil {
		return h.serverFault(ctx, "ending the session of a replayed authorization code", err)
	}
	requestctx.Logger(ctx).WarnContext(ctx, "authorization code replayed: session ended",
		"grant", grant.ID, "session", *grant.SessionID)
	return nil
}

// checkRedirectURI applies RFC 6749 §4.1.3: when the authorization request
// carried a redirect_uri, the token request must repeat it exactly.
func checkRedirectURI(grant *domain.AuthorizationGrant, redirectURI string) *Error {
	if redirectURI != "" {
		if redirectURI != grant.RedirectURI {
			return invalidGrant("the redirect_uri does not match the one of the authorization request")
		}
		return nil
	}
	if q, err := url.ParseQuery(grant.RawParameters); err == nil && q.Has("redirect_uri") {
		return newError(ErrInvalidRequest, 0, "the redirect_uri parameter is missing")
	}
	return nil
}

// verifyPKCE checks the code_verifier against the stored challenge
// (RFC 7636 §4.6). Either one without the other fails, so a client cannot
// downgrade a PKCE-protected code, nor an attacker pass a stolen
// PKCE-less code off as protected (RFC 9700 §4.8).
func verifyPKCE(method, challenge, verifier string) *Error {
	fail := func(why string) *Error { return invalidGrant("PKCE verification failed: " + why) }
	switch {
	case challenge == "" && verifier == "":
		return nil
	case challenge == "":
		return fail("a code_verifier was sent but the authorization request had no code_challenge")
	case verifier == "":
		return fail("the code_verifier is missing")
	case len(verifier) < 43:
		return fail("the code_verifier is shorter than 43 characters")
	case len(verifier) > 128:
		return fail("the code_verifier is longer than 128 characters")
	case !isPKCEVerifier(verifier):
		return fail("the code_verifier contains characters other than A-Z a-z 0-9 - . _ ~")
	}
	var computed string
	switch method {
	case "S256":
		sum := sha256.Sum256([]byte(verifier))
		computed = base64.RawURLEncoding.EncodeToString(sum[:])
	case "plain", "":
		computed = verifier
	default:
		return fail("unknown code_challenge_method " + quoteForError(method))
	}
	if subtle.ConstantTimeCompare([]byte(computed), []byte(challenge)) != 1 {
		return fail("the code_verifier does not match the code_challenge")
	}
	return nil
}

// isPKCEVerifier reports whether s only uses the unreserved characters
// RFC 7636 §4.1 allows.
func isPKCEVerifier(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~'
		if !ok {
			return false
		}
	}
	return true
}
