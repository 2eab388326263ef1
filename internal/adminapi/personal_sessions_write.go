package adminapi

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/tokens"
)

// createPersonalSessionRequest is upstream's CreatePersonalSessionRequest.
type createPersonalSessionRequest struct {
	ActorUserID domain.ID `json:"actor_user_id"`
	HumanName   string    `json:"human_name"`
	Scope       string    `json:"scope"`
	ExpiresIn   *uint32   `json:"expires_in"`
}

// UnmarshalJSON requires the fields upstream's serde requires.
func (q *createPersonalSessionRequest) UnmarshalJSON(b []byte) error {
	if err := requireFields(b, "actor_user_id", "human_name", "scope"); err != nil {
		return err
	}
	type plain createPersonalSessionRequest
	return json.Unmarshal(b, (*plain)(q))
}

// regeneratePersonalSessionRequest is upstream's RegeneratePersonalSessionRequest.
type regeneratePersonalSessionRequest struct {
	ExpiresIn *uint32 `json:"expires_in"`
}

// personalOwner is who owns the personal sessions a caller creates, as
// upstream decides: the user of an OAuth session, the client of a
// client_credentials session, and for a personal session the user it
// acts as.
func (c caller) personalOwner() (user, client *domain.ID) {
	switch {
	case c.personal != nil:
		return &c.personal.ActorUserID, nil
	case c.oauth.UserID != nil:
		return c.oauth.UserID, nil
	}
	return nil, &c.oauth.ClientID
}

func (h *Handler) createPersonalSession(w http.ResponseWriter, r *http.Request) {
	var req createPersonalSessionRequest
	if !readJSON(w, r, &req) {
		return
	}
	actorID := req.ActorUserID
	if _, err := h.Store.Users().Lookup(r.Context(), actorID); !found(w, r, err, "User not found") {
		return
	}
	scope, ok := parseScope(req.Scope)
	if !ok {
		writeError(w, http.StatusBadRequest, "Invalid scope")
		return
	}
	ownerUser, ownerClient := callerOf(r).personalOwner()
	s := &domain.PersonalSession{OwnerUserID: ownerUser, OwnerClientID: ownerClient, ActorUserID: actorID,
		HumanName: req.HumanName, Scope: scope}
	var token string
	var l *store.PersonalSessionListed
	err := store.WithTx(r.Context(), h.Store, func(tx store.Tx) error {
		if err := tx.PersonalSessions().Add(r.Context(), s); err != nil {
			return err
		}
		var err error
		token, l, err = h.issuePersonalToken(r, tx, s, req.ExpiresIn)
		return err
	})
	if err != nil {
		internalError(w, r, err)
		return
	}
	writeSingle(w, http.StatusCreated, withToken(personalSessionResource(l), token))
}

// issuePersonalToken generates an mpt_ token for s, stores only its
// SHA-256, and returns it with the session and the token's expiry.
func (h *Handler) issuePersonalToken(r *http.Request, tx store.Tx, s *domain.PersonalSession, expiresIn *uint32) (string, *store.PersonalSessionListed, error) {
	token, err := tokens.Generate(tokens.PersonalAccessToken, h.random())
	if err != nil {
		return "", nil, err
	}
	var expiresAt *time.Time
	if expiresIn != nil {
		at := h.Clock.Now().Add(time.Duration(*expiresIn) * time.Second)
		expiresAt = &at
	}
	sum := sha256.Sum256([]byte(token))
	t, err := tx.PersonalAccessTokens().Add(r.Context(), s.ID, sum[:], expiresAt)
	if err != nil {
		return "", nil, err
	}
	return token, &store.PersonalSessionListed{Session: s, TokenExpiresAt: t.ExpiresAt}, nil
}

// random is the source of generated tokens.
func (h *Handler) random() io.Reader {
	if h.Rand != nil {
		return h.Rand
	}
	return rand.Reader
}

func (h *Handler) revokePersonalSession(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	s, err := h.Store.PersonalSessions().Lookup(r.Context(), id)
	if !found(w, r, err, "Personal session with ID "+id.String()+" not found") {
		return
	}
	alreadyRevoked := "Personal session with ID " + id.String() + " is already revoked"
	if s.RevokedAt != nil {
		writeError(w, http.StatusConflict, alreadyRevoked)
		return
	}
	// The session and its usable token end together.
	err = store.WithTx(r.Context(), h.Store, func(tx store.Tx) error {
		if err := store.EndPersonalSession(r.Context(), tx, s); err != nil {
			return err
		}
		t, err := tx.PersonalAccessTokens().ActiveForSession(r.Context(), s.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return tx.PersonalAccessTokens().Revoke(r.Context(), t)
	})
	switch {
	case store.AlreadyEnded(err):
		writeError(w, http.StatusConflict, alreadyRevoked)
	case err != nil:
		internalError(w, r, err)
	default:
		writeSingle(w, http.StatusOK, personalSessionResource(&store.PersonalSessionListed{Session: s}))
	}
}

// errSessionNotValid is a regeneration of a session without a usable token.
var errSessionNotValid = errors.New("personal session not valid")

func (h *Handler) regeneratePersonalSession(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var req regeneratePersonalSessionRequest
	if !readJSON(w, r, &req) {
		return
	}
	s, err := h.Store.PersonalSessions().Lookup(r.Context(), id)
	if !found(w, r, err, "Session not found") {
		return
	}
	if s.RevokedAt != nil {
		writeError(w, http.StatusUnprocessableEntity, "Session not valid")
		return
	}
	// As upstream, only the session's owner may regenerate it.
	ownerUser, ownerClient := callerOf(r).personalOwner()
	if !sameID(ownerUser, s.OwnerUserID) || !sameID(ownerClient, s.OwnerClientID) {
		writeError(w, http.StatusForbidden, "Session does not belong to you")
		return
	}
	var token string
	var l *store.PersonalSessionListed
	err = store.WithTx(r.Context(), h.Store, func(tx store.Tx) error {
		old, err := tx.PersonalAccessTokens().ActiveForSession(r.Context(), s.ID)
		if errors.Is(err, store.ErrNotFound) {
			return errSessionNotValid
		}
		if err != nil {
			return err
		}
		if err := tx.PersonalAccessTokens().Revoke(r.Context(), old); err != nil {
			return err
		}
		token, l, err = h.issuePersonalToken(r, tx, s, req.ExpiresIn)
		return err
	})
	switch {
	case errors.Is(err, errSessionNotValid), errors.Is(err, store.ErrConflict), errors.Is(err, domain.ErrInvalidTransition):
		writeError(w, http.StatusUnprocessableEntity, "Session not valid")
	case err != nil:
		internalError(w, r, err)
	default:
		writeSingle(w, http.StatusCreated, withToken(personalSessionResource(l), token))
	}
}

func sameID(a, b *domain.ID) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
