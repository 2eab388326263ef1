package oauth

import (
	"context"
	"net/http"
	"strings"
	"time"

	"mas/internal/domain"
	"mas/internal/policy"
	"mas/internal/requestctx"
	"mas/internal/store"
	"mas/internal/tokens"
)

// clientCredentialsGrant issues a client a token for itself (RFC 6749
// §4.4): a session without a user, an access token and no refresh token.
type clientCredentialsGrant struct{ h *Handler }

func (g clientCredentialsGrant) exchange(ctx context.Context, r *http.Request, client *domain.Client) (*tokenResponse, *Error) {
	h := g.h
	if !client.GrantClientCredentials {
		return nil, unauthorizedGrantType(grantTypeClientCredentials)
	}
	rawScope, e := formParam(r.PostForm, "scope")
	if e != nil {
		return nil, e
	}
	scope := scopeList(rawScope)

	if vs := h.policyEngine().AuthorizationGrant(policy.AuthorizationGrantInput{
		Client:    policy.Client{ID: client.ID.String()},
		Scope:     strings.Join(scope, " "),
		GrantType: policy.GrantTypeClientCredentials,
		Requester: requesterOf(r),
	}); len(vs) > 0 {
		return nil, newError(ErrInvalidScope, http.StatusForbidden, policy.Join(vs))
	}

	access, err := tokens.Generate(tokens.AccessToken, h.Rand)
	if err != nil {
		return nil, h.serverFault(ctx, "generating access token", err)
	}
	ttl := h.tokenTTL()
	now := h.Clock.Now()
	expires := now.Add(ttl)
	session := &domain.Session{
		ClientID:     client.ID,
		Scope:        scope,
		UserAgent:    r.UserAgent(),
		LastActiveAt: &now,
		LastActiveIP: requesterIP(ctx),
	}
	err = store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		if err := tx.Sessions().Add(ctx, session); err != nil {
			return err
		}
		_, err := tx.AccessTokens().Add(ctx, session.ID, access, &expires)
		return err
	})
	if err != nil {
		return nil, h.serverFault(ctx, "starting client credentials session", err)
	}
	return &tokenResponse{
		AccessToken: access,
		ExpiresIn:   int64(ttl / time.Second),
		Scope:       strings.Join(scope, " "), // empty, hence omitted, without scope
	}, nil
}

// policyEngine is the configured policy, or the zero engine (the rules
// without data) when none is set.
func (h *Handler) policyEngine() *policy.Engine {
	if h.Policy != nil {
		return h.Policy
	}
	return &policy.Engine{}
}

// requesterOf describes the caller for the policy's requester rules.
func requesterOf(r *http.Request) policy.Requester {
	return policy.Requester{IPAddress: requestctx.ClientIP(r.Context()), UserAgent: r.UserAgent()}
}
