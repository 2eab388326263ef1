package adminapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"mas/internal/domain"
	"mas/internal/login"
	"mas/internal/routes"
	"mas/internal/store"
)

// addUserRequest is upstream's AddUserRequest.
type addUserRequest struct {
	Username            string `json:"username"`
	SkipHomeserverCheck bool   `json:"skip_homeserver_check,omitempty"`
	// Displayname is set on the homeserver when the user is provisioned.
	Displayname *string `json:"displayname"`
	// AvatarURL is accepted for upstream's clients; provisioning does not
	// set avatars yet.
	AvatarURL *string `json:"avatar_url"`
}

// setPasswordRequest is upstream's SetUserPasswordRequest.
type setPasswordRequest struct {
	Password          string `json:"password"`
	SkipPasswordCheck *bool  `json:"skip_password_check"`
}

// setAdminRequest is upstream's UserSetAdminRequest, as documented;
// the handler reads admin as a pointer to tell a missing one.
type setAdminRequest struct {
	Admin bool `json:"admin"`
}

// deactivateRequest is upstream's DeactivateUserRequest; the body is
// optional.
type deactivateRequest struct {
	SkipErase bool `json:"skip_erase,omitempty"`
}

// Upstream's error titles of the write operations.
const (
	titleUsernameInvalid  = "Username is not valid"
	titleUserExists       = "User already exists"
	titleUsernameReserved = "Username is reserved by the homeserver"
	titlePasswordWeak     = "Password is too weak"
	titlePasswordDisabled = "Password auth is disabled"
)

// userWriteEndpoints lists the operations that create or change users.
func (h *Handler) userWriteEndpoints() []endpoint {
	withUser := []int{http.StatusBadRequest, http.StatusNotFound}
	return []endpoint{
		{Method: "POST", Path: routes.AdminUsers, OperationID: "createUser", Tag: "user",
			Summary: "Create a user", Request: addUserRequest{}, ResourceType: "user", Attributes: userAttributes{},
			Status: http.StatusCreated, Errors: []int{http.StatusBadRequest, http.StatusConflict}, Handle: h.createUser},
		{Method: "POST", Path: routes.AdminUserSetPasswordPattern, OperationID: "setUserPassword", Tag: "user",
			Summary: "Set a user's password", Request: setPasswordRequest{}, Status: http.StatusNoContent,
			Errors: withUser, Handle: h.setUserPassword},
		{Method: "POST", Path: routes.AdminUserSetAdminPattern, OperationID: "userSetAdmin", Tag: "user",
			Summary: "Allow or forbid a user to request admin access", Request: setAdminRequest{},
			ResourceType: "user", Attributes: userAttributes{}, Status: http.StatusOK, Errors: withUser, Handle: h.setUserAdmin},
		{Method: "POST", Path: routes.AdminUserDeactivatePattern, OperationID: "deactivateUser", Tag: "user",
			Summary: "Deactivate a user", Request: deactivateRequest{},
			ResourceType: "user", Attributes: userAttributes{}, Status: http.StatusOK, Errors: withUser, Handle: h.deactivateUser},
		{Method: "POST", Path: routes.AdminUserReactivatePattern, OperationID: "reactivateUser", Tag: "user",
			Summary: "Reactivate a deactivated user", ResourceType: "user", Attributes: userAttributes{},
			Status: http.StatusOK, Errors: withUser, Handle: h.reactivateUser},
		{Method: "POST", Path: routes.AdminUserLockPattern, OperationID: "lockUser", Tag: "user",
			Summary: "Lock a user", ResourceType: "user", Attributes: userAttributes{},
			Status: http.StatusOK, Errors: withUser, Handle: h.lockUser},
		{Method: "POST", Path: routes.AdminUserUnlockPattern, OperationID: "unlockUser", Tag: "user",
			Summary: "Unlock a user", ResourceType: "user", Attributes: userAttributes{},
			Status: http.StatusOK, Errors: withUser, Handle: h.unlockUser},
	}
}

// validUsername is upstream's rule for new usernames: 1 to 255 of
// a-z 0-9 = _ - . / +, not starting with an underscore.
func validUsername(s string) bool {
	if s == "" || len(s) > 255 || s[0] == '_' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("=_-./+", c) >= 0) {
			return false
		}
	}
	return true
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) {
	var req addUserRequest
	if !readJSON(w, r, &req) {
		return
	}
	ctx := r.Context()
	if !validUsername(req.Username) {
		writeError(w, http.StatusBadRequest, titleUsernameInvalid)
		return
	}
	if _, err := h.Store.Users().FindByUsername(ctx, req.Username); err == nil {
		writeError(w, http.StatusConflict, titleUserExists)
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		internalError(w, r, err)
		return
	}
	if !req.SkipHomeserverCheck {
		available, err := h.Homeserver.IsLocalpartAvailable(ctx, req.Username)
		if err != nil {
			internalError(w, r, err)
			return
		}
		if !available {
			writeError(w, http.StatusConflict, titleUsernameReserved)
			return
		}
	}
	var user *domain.User
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		var err error
		if user, err = tx.Users().Add(ctx, req.Username); err != nil {
			return err
		}
		job := domain.ProvisionUserJob{UserID: user.ID}
		if req.Displayname != nil {
			job.SetDisplayName = *req.Displayname
		}
		return tx.Jobs().Enqueue(ctx, job)
	})
	switch {
	case errors.Is(err, store.ErrConflict): // created meanwhile
		writeError(w, http.StatusConflict, titleUserExists)
	case err != nil:
		internalError(w, r, err)
	default:
		writeSingle(w, http.StatusCreated, userResource(user))
	}
}

func (h *Handler) setUserPassword(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var req setPasswordRequest
	if !readJSON(w, r, &req) {
		return
	}
	if h.Passwords == nil {
		writeError(w, http.StatusForbidden, titlePasswordDisabled)
		return
	}
	ctx := r.Context()
	user, err := h.Store.Users().Lookup(ctx, id)
	if !found(w, r, err, notFoundTitle("User", id)) {
		return
	}
	minimum := h.Passwords.MinimumComplexity()
	if req.SkipPasswordCheck != nil && *req.SkipPasswordCheck {
		minimum = 0 // the shape (not empty, text, not too long) still holds
	}
	if login.CheckNewPassword(req.Password, minimum, user.Username) != nil {
		writeError(w, http.StatusBadRequest, titlePasswordWeak)
		return
	}
	// Hashing is deliberately slow: outside the transaction.
	version, hash, err := h.Passwords.Hash(ctx, req.Password)
	if err == nil {
		_, err = h.Store.Passwords().Add(ctx, user.ID, hash, version, nil)
	}
	if found(w, r, err, notFoundTitle("User", id)) { // deleted meanwhile
		w.WriteHeader(http.StatusNoContent)
	}
}

func (h *Handler) setUserAdmin(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Admin *bool `json:"admin"`
	}
	if _, ok := pathID(w, r); !ok || !readJSON(w, r, &req) {
		return
	}
	if req.Admin == nil {
		writeError(w, http.StatusBadRequest, `Invalid JSON body: missing field "admin"`)
		return
	}
	h.changeUser(w, r, func(_ context.Context, _ store.Tx, u *domain.User) error {
		u.CanRequestAdmin = *req.Admin
		return nil
	})
}

func (h *Handler) lockUser(w http.ResponseWriter, r *http.Request) {
	h.changeUserAndProvision(w, r, func(u *domain.User) { u.Lock(h.Clock.Now()) })
}

// unlockUser lifts the lock; a deactivated user stays deactivated.
func (h *Handler) unlockUser(w http.ResponseWriter, r *http.Request) {
	h.changeUserAndProvision(w, r, (*domain.User).Unlock)
}

// changeUserAndProvision applies change and pushes the user's new state
// (the lock) to the homeserver, as `manage lock-user` does.
func (h *Handler) changeUserAndProvision(w http.ResponseWriter, r *http.Request, change func(*domain.User)) {
	h.changeUser(w, r, func(ctx context.Context, tx store.Tx, u *domain.User) error {
		change(u)
		return tx.Jobs().Enqueue(ctx, domain.ProvisionUserJob{UserID: u.ID})
	})
}

// deactivateUser marks the user deactivated (not locked) at once and
// schedules the rest: the job ends every session and deactivates the
// user on the homeserver, erasing it unless skip_erase.
func (h *Handler) deactivateUser(w http.ResponseWriter, r *http.Request) {
	var req deactivateRequest
	if _, ok := pathID(w, r); !ok || !readOptionalJSON(w, r, &req) {
		return
	}
	h.changeUser(w, r, func(ctx context.Context, tx store.Tx, u *domain.User) error {
		if u.DeactivatedAt == nil {
			if err := u.Deactivate(h.Clock.Now()); err != nil {
				return err
			}
		}
		return tx.Jobs().Enqueue(ctx, domain.DeactivateUserJob{UserID: u.ID, HSErase: !req.SkipErase})
	})
}

// reactivateUser schedules the reactivation: the job reactivates the user
// on the homeserver first, and only then here. The answer is the user as
// it is until the job has run.
func (h *Handler) reactivateUser(w http.ResponseWriter, r *http.Request) {
	h.changeUser(w, r, func(ctx context.Context, tx store.Tx, u *domain.User) error {
		return tx.Jobs().Enqueue(ctx, domain.ReactivateUserJob{UserID: u.ID})
	})
}

// changeUser loads the {id} user in a transaction, lets change edit it
// (and enqueue jobs), saves it, and answers the user with the operation's
// own path as the document's link, as upstream does.
func (h *Handler) changeUser(w http.ResponseWriter, r *http.Request, change func(context.Context, store.Tx, *domain.User) error) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	var user *domain.User
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		var err error
		if user, err = tx.Users().Lookup(ctx, id); err != nil {
			return err
		}
		if err := change(ctx, tx, user); err != nil {
			return err
		}
		return tx.Users().Update(ctx, user)
	})
	if found(w, r, err, notFoundTitle("User", id)) {
		writeJSON(w, http.StatusOK, single{Data: userResource(user), Links: selfLinks{Self: r.URL.Path}})
	}
}

// readOptionalJSON is readJSON for a body that may be absent: an empty
// body leaves v as it is.
func readOptionalJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "Invalid JSON body: "+err.Error())
		return false
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return true
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	return readJSON(w, r, v)
}
