package oauth

import (
	"context"
	"errors"
	"net/http"
	"time"

	"mas/internal/domain"
	"mas/internal/requestctx"
	"mas/internal/store"
)

// refreshTokenGrant rotates a refresh token (RFC 6749 §6): every use
// returns a new access and refresh token, consumes the old refresh token
// and revokes the old access token, so only one chain of tokens is alive
// per session (RFC 9700 §4.14.2).
type refreshTokenGrant struct{ h *Handler }

// errRefreshRaced means another request used the refresh token (or its
// successor) between our reads and our writes.
var errRefreshRaced = errors.New("refresh token used concurrently")

func (g refreshTokenGrant) exchange(ctx context.Context, r *http.Request, client *domain.Client) (*tokenResponse, *Error) {
	h := g.h
	if !client.GrantRefreshToken {
		return nil, unauthorizedGrantType(grantTypeRefreshToken)
	}
	presented, e := requiredFormParam(r.PostForm, "refresh_token")
	if e != nil {
		return nil, e
	}
	old, err := h.Store.RefreshTokens().FindByToken(ctx, presented)
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalidGrant("the refresh token is unknown")
	}
	if err != nil {
		return nil, h.serverFault(ctx, "looking up refresh token", err)
	}
	session, err := h.Store.Sessions().Lookup(ctx, old.SessionID)
	if err != nil {
		return nil, h.serverFault(ctx, "looking up oauth2 session", err)
	}
	if !session.Active() {
		return nil, invalidGrant("the session of this refresh token has ended")
	}
	if session.ClientID != client.ID {
		// RFC 6749 §5.2: a grant issued to another client is invalid_grant.
		return nil, invalidGrant("the refresh token was issued to another client")
	}
	if session.UserID != nil {
		user, err := h.Store.Users().Lookup(ctx, *session.UserID)
		if err != nil {
			return nil, h.serverFault(ctx, "looking up user", err)
		}
		if !user.IsValid() {
			return nil, invalidGrant("the user is locked or deactivated")
		}
	}
	if old.RevokedAt != nil {
		return nil, invalidGrant("the refresh token was revoked")
	}

	// A consumed token is accepted once more if the pair it was rotated
	// into was never used: the client most likely lost our response. That
	// unused pair is revoked and replaced. If the pair was used, the old
	// token is being replayed by someone else than the client that moved
	// on, and the session ends (RFC 9700 §4.14.2).
	var successor *domain.RefreshToken
	if old.ConsumedAt != nil {
		next, proven, e := h.lostRefreshSuccessor(ctx, old)
		if proven {
			return nil, h.endReplayedRefreshSession(ctx, client, session, old, next)
		}
		if e != nil {
			return nil, e
		}
		successor = next
	}

	access, refresh, err := h.newTokenPair()
	if err != nil {
		return nil, h.serverFault(ctx, "generating tokens", err)
	}
	ttl := h.tokenTTL()
	expires := h.Clock.Now().Add(ttl)
	err = store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		if successor != nil {
			if err := revokeUnusedPair(ctx, tx, successor); err != nil {
				return err
			}
		}
		at, err := tx.AccessTokens().Add(ctx, session.ID, access, &expires)
		if err != nil {
			return err
		}
		rt, err := tx.RefreshTokens().Add(ctx, session.ID, &at.ID, refresh)
		if err != nil {
			return err
		}
		if successor == nil {
			// The conditional update that decides concurrent refreshes:
			// only one of them still finds the token unconsumed.
			if err := tx.RefreshTokens().Consume(ctx, old, rt.ID); err != nil {
				if errors.Is(err, store.ErrConflict) || errors.Is(err, domain.ErrInvalidTransition) {
					return errRefreshRaced
				}
				return err
			}
		}
		return revokeAccessToken(ctx, tx, old.AccessTokenID)
	})
	switch {
	case errors.Is(err, errRefreshRaced):
		return nil, invalidGrant("the refresh token was already used")
	case err != nil:
		return nil, h.serverFault(ctx, "rotating refresh token", err)
	}
	h.recordActivity(ctx, session, requesterIP(ctx))
	return &tokenResponse{
		AccessToken:  access,
		RefreshToken: refresh,
		ExpiresIn:    int64(ttl / time.Second),
		Scope:        scopeString(session.Scope),
	}, nil
}

// lostRefreshSuccessor decides what a consumed refresh token that comes
// back means. It returns the successor to revoke and replace when the pair
// the token was rotated into is still unused (a lost response); proven when
// that pair was used (its refresh token consumed or its access token seen),
// which proves the old token is being replayed; otherwise an error.
func (h *Handler) lostRefreshSuccessor(ctx context.Context, old *domain.RefreshToken) (next *domain.RefreshToken, proven bool, e *Error) {
	replayed := invalidGrant("the refresh token was already used")
	if old.NextRefreshTokenID == nil {
		return nil, false, replayed
	}
	next, err := h.Store.RefreshTokens().Lookup(ctx, *old.NextRefreshTokenID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, replayed
	}
	if err != nil {
		return nil, false, h.serverFault(ctx, "looking up successor refresh token", err)
	}
	if next.ConsumedAt != nil {
		return next, true, replayed
	}
	if next.RevokedAt != nil {
		// Revoked unused (a recovery, a revocation): no proof of use.
		return nil, false, replayed
	}
	if next.AccessTokenID != nil {
		at, err := h.Store.AccessTokens().Lookup(ctx, *next.AccessTokenID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			// Cleaned up: nothing proves it was used.
		case err != nil:
			return nil, false, h.serverFault(ctx, "looking up successor access token", err)
		case at.FirstUsedAt != nil:
			return next, true, replayed
		}
	}
	requestctx.Logger(ctx).InfoContext(ctx, "refresh token reused before its successor was used: reissuing",
		"refresh_token", old.ID, "successor", next.ID)
	return next, false, nil
}

// endReplayedRefreshSession ends the session of a refresh token replayed
// after its successor was used, and says so in the log as a security
// event: one of the two parties holding the session's tokens is not the
// client it was issued to.
func (h *Handler) endReplayedRefreshSession(ctx context.Context, client *domain.Client, session *domain.Session, old, next *domain.RefreshToken) *Error {
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error { return endSession(ctx, tx, session.ID) })
	if err != nil {
		return h.serverFault(ctx, "ending the session of a replayed refresh token", err)
	}
	requestctx.Logger(ctx).WarnContext(ctx, "security: refresh token replayed after its successor was used; session ended",
		"client_id", client.ID, "session", session.ID, "refresh_token", old.ID, "successor", next.ID,
		"client_ip", requesterIP(ctx))
	return invalidGrant("the refresh token was already used; the session has been ended")
}

// revokeUnusedPair revokes a successor refresh token and its access token,
// then re-reads them: a write that raced ours (the successor consumed, its
// access token used) is visible once our conditional updates have taken
// the rows, and turns the recovery into a refusal.
func revokeUnusedPair(ctx context.Context, tx store.Tx, next *domain.RefreshToken) error {
	if next.AccessTokenID != nil {
		at, err := tx.AccessTokens().Lookup(ctx, *next.AccessTokenID)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			if at.RevokedAt == nil {
				if err := tx.AccessTokens().Revoke(ctx, at); err != nil && !errors.Is(err, store.ErrConflict) {
					return err
				}
			}
			if at, err = tx.AccessTokens().Lookup(ctx, at.ID); err != nil {
				return err
			}
			if at.FirstUsedAt != nil {
				return errRefreshRaced
			}
		}
	}
	if err := tx.RefreshTokens().Revoke(ctx, next); err != nil {
		if errors.Is(err, store.ErrConflict) || errors.Is(err, domain.ErrInvalidTransition) {
			return errRefreshRaced
		}
		return err
	}
	again, err := tx.RefreshTokens().Lookup(ctx, next.ID)
	if err != nil {
		return err
	}
	if again.ConsumedAt != nil {
		return errRefreshRaced
	}
	return nil
}

// revokeAccessToken revokes the access token a refresh token was issued
// with, if it still exists and is not revoked already. No read first: the
// update is conditional, and a token gone or already revoked is a conflict
// to ignore; this saves a round trip inside the write transaction.
func revokeAccessToken(ctx context.Context, tx store.Tx, id *domain.ID) error {
	if id == nil {
		return nil
	}
	err := tx.AccessTokens().Revoke(ctx, &domain.AccessToken{ID: *id})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	return nil
}
