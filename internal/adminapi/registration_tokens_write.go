package adminapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

// addRegistrationTokenRequest is upstream's AddUserRegistrationTokenRequest:
// a random token when none is given, unlimited and never expiring by default.
type addRegistrationTokenRequest struct {
	Token      *string    `json:"token"`
	UsageLimit *uint32    `json:"usage_limit"`
	ExpiresAt  *time.Time `json:"expires_at"`
}

// editRegistrationTokenRequest is upstream's EditUserRegistrationTokenRequest:
// a key set to null removes the expiry or the limit, an absent key keeps it.
// It documents the body; updateRegistrationToken reads the keys one by one.
type editRegistrationTokenRequest struct {
	ExpiresAt  *time.Time `json:"expires_at"`
	UsageLimit *uint32    `json:"usage_limit"`
}

const titleRegistrationTokenExists = "A registration token with the same token already exists"

func (h *Handler) addRegistrationToken(w http.ResponseWriter, r *http.Request) {
	var req addRegistrationTokenRequest
	if !readJSON(w, r, &req) {
		return
	}
	t := &domain.RegistrationToken{ExpiresAt: req.ExpiresAt}
	if req.Token != nil {
		t.Token = *req.Token
	}
	if req.UsageLimit != nil {
		t.UsageLimit = new(int(*req.UsageLimit))
	}
	err := store.AddRegistrationToken(r.Context(), h.Store.RegistrationTokens(), h.Rand, t)
	switch {
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, titleRegistrationTokenExists)
	case err != nil:
		internalError(w, r, err)
	default:
		writeSingle(w, http.StatusCreated, h.registrationTokenRes(t))
	}
}

func (h *Handler) updateRegistrationToken(w http.ResponseWriter, r *http.Request) {
	var fields map[string]json.RawMessage
	if _, ok := pathID(w, r); !ok || !readJSON(w, r, &fields) {
		return
	}
	var edit editRegistrationTokenRequest
	var limitSet, expirySet bool
	var err error
	if expirySet, err = optionalField(fields, "expires_at", &edit.ExpiresAt); err == nil {
		limitSet, err = optionalField(fields, "usage_limit", &edit.UsageLimit)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "Invalid JSON body: "+err.Error())
		return
	}
	t, ok := h.lookupRegistrationToken(w, r)
	if !ok {
		return
	}
	if expirySet {
		t.ExpiresAt = edit.ExpiresAt
	}
	if limitSet {
		t.UsageLimit = nil
		if edit.UsageLimit != nil {
			t.UsageLimit = new(int(*edit.UsageLimit))
		}
	}
	id := t.ID
	if err = h.Store.RegistrationTokens().UpdateLimits(r.Context(), t); err == nil {
		t, err = h.Store.RegistrationTokens().Lookup(r.Context(), id) // with any concurrent change
	}
	if found(w, r, err, registrationTokenNotFound(id)) {
		writeSingle(w, http.StatusOK, h.registrationTokenRes(t))
	}
}

// optionalField decodes fields[key] into dst: null clears it, absence
// leaves it; set reports whether the key was present.
func optionalField[T any](fields map[string]json.RawMessage, key string, dst **T) (set bool, err error) {
	raw, ok := fields[key]
	if !ok {
		return false, nil
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		*dst = nil
		return true, nil
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return false, errors.New(key + ": " + err.Error())
	}
	*dst = &v
	return true, nil
}

func (h *Handler) revokeRegistrationToken(w http.ResponseWriter, r *http.Request) {
	h.setRegistrationTokenRevoked(w, r, true)
}

func (h *Handler) unrevokeRegistrationToken(w http.ResponseWriter, r *http.Request) {
	h.setRegistrationTokenRevoked(w, r, false)
}

// setRegistrationTokenRevoked revokes or unrevokes the {id} token; a token
// already in that state answers 400, as upstream.
func (h *Handler) setRegistrationTokenRevoked(w http.ResponseWriter, r *http.Request, revoke bool) {
	t, ok := h.lookupRegistrationToken(w, r)
	if !ok {
		return
	}
	change, state := h.Store.RegistrationTokens().Unrevoke, "is not revoked"
	if revoke {
		change, state = h.Store.RegistrationTokens().Revoke, "is already revoked"
	}
	err := change(r.Context(), t)
	switch {
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusBadRequest, "Registration token with ID "+t.ID.String()+" "+state)
	case found(w, r, err, registrationTokenNotFound(t.ID)):
		writeJSON(w, http.StatusOK, single{Data: h.registrationTokenRes(t), Links: selfLinks{Self: r.URL.Path}})
	}
}
