package oauth

import (
	"context"
	"errors"
	"net/http"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/tokens"
)

// errGrantRaced means another request exchanged the same grant first.
var errGrantRaced = errors.New("grant exchanged concurrently")

// approvedGrant is a grant a user approved in a browser session, about to
// be exchanged for a new OAuth 2.0 session: an authorization code or a
// device code. Both end the same way, written once here so that neither
// can skip a check.
type approvedGrant struct {
	client           *domain.Client
	browserSessionID *domain.ID
	// approver, when the caller read it with the grant, is that browser
	// session; nil has issueSession look it up.
	approver *store.Approver
	scope    []string
	nonce    string
	// code is the authorization code (for the ID token's c_hash); empty
	// for the device grant.
	code string
	// withRefresh issues a refresh token too.
	withRefresh bool
	// kind names the grant in messages: "authorization code", "device code".
	kind string
	// exchange marks the grant used inside the session's transaction; it
	// returns errGrantRaced when another request won.
	exchange func(ctx context.Context, tx store.Tx, sessionID domain.ID) error
	// exchangeForSession, when set, does what the transaction does when
	// there are no devices to commit (the session, its tokens and the
	// grant's exchange) in fewer round trips. It returns errGrantRaced
	// when another request won.
	exchangeForSession func(ctx context.Context, s *domain.Session, access string, expiresAt *time.Time, refresh string) error
}

// issueSession checks that the approving browser session and its user are
// still valid, creates the devices the scope names on the homeserver,
// then writes the session, its tokens and the grant's exchange, all or
// nothing.
func (h *Handler) issueSession(ctx context.Context, r *http.Request, g approvedGrant) (*tokenResponse, *Error) {
	if g.browserSessionID == nil {
		return nil, invalidGrant("the " + g.kind + " is not valid")
	}
	approver := g.approver
	if approver == nil {
		browser, user, authTime, err := h.Store.BrowserSessions().LookupForToken(ctx, *g.browserSessionID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, invalidGrant("the browser session that approved this " + g.kind + " is gone")
		}
		if err != nil {
			return nil, h.serverFault(ctx, "looking up browser session", err)
		}
		approver = &store.Approver{Session: browser, User: user, AuthTime: authTime}
	}
	browser, user, authTime := approver.Session, approver.User, approver.AuthTime
	// Signing out (or an administrator ending the browser session) between
	// approval and exchange withdraws the approval.
	if !browser.Active() {
		return nil, invalidGrant("the browser session that approved this " + g.kind + " has ended")
	}
	if !user.IsValid() {
		return nil, invalidGrant("the user is locked or deactivated")
	}

	now := h.Clock.Now()
	access, err := tokens.Generate(tokens.AccessToken, h.Rand)
	if err != nil {
		return nil, h.serverFault(ctx, "generating access token", err)
	}
	var refresh string
	if g.withRefresh {
		if refresh, err = tokens.Generate(tokens.RefreshToken, h.Rand); err != nil {
			return nil, h.serverFault(ctx, "generating refresh token", err)
		}
	}
	ttl := h.tokenTTL()
	resp := &tokenResponse{
		AccessToken:  access,
		RefreshToken: refresh,
		ExpiresIn:    int64(ttl / time.Second),
		Scope:        scopeString(g.scope),
	}
	// Signing comes before the transaction: it is the slowest step (RSA),
	// and a failure must not leave anything behind.
	if scopeIncludes(g.scope, domain.ScopeOpenID) {
		resp.IDToken, err = h.signIDToken(idTokenInput{
			client: g.client, user: user, browserSession: browser.ID, nonce: g.nonce,
			authTime: authTime, accessToken: access, code: g.code, now: now,
		})
		if err != nil {
			return nil, h.serverFault(ctx, "signing ID token", err)
		}
	}

	session := &domain.Session{
		ClientID:         g.client.ID,
		UserID:           &user.ID,
		BrowserSessionID: &browser.ID,
		Scope:            g.scope,
		UserAgent:        r.UserAgent(),
		LastActiveAt:     &now,
		LastActiveIP:     requesterIP(ctx),
	}
	expires := now.Add(ttl)
	pending, err := h.provisionDevices(ctx, user, g.client, session.Scope)
	if err != nil {
		return nil, h.serverFault(ctx, "exchanging "+g.kind, err)
	}
	if pending == nil && g.exchangeForSession != nil {
		err = g.exchangeForSession(ctx, session, access, &expires, refresh)
	} else {
		err = store.WithTx(ctx, h.Store, func(tx store.Tx) error {
			if _, _, err := tx.Sessions().AddWithTokens(ctx, session, access, &expires, refresh); err != nil {
				return err
			}
			if err := g.exchange(ctx, tx, session.ID); err != nil {
				return err
			}
			return pending.Done(ctx, tx)
		})
		if err != nil {
			h.forgetOrphanDevices(ctx, user, pending)
		}
	}
	switch {
	case errors.Is(err, errGrantRaced):
		return nil, invalidGrant("the " + g.kind + " was already used")
	case err != nil:
		return nil, h.serverFault(ctx, "exchanging "+g.kind, err)
	}
	return resp, nil
}

// raced maps a lost conditional update to errGrantRaced.
func raced(err error) error {
	if errors.Is(err, store.ErrConflict) || errors.Is(err, domain.ErrInvalidTransition) {
		return errGrantRaced
	}
	return err
}
