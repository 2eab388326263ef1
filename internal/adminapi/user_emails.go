package adminapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"mas/internal/domain"
	"mas/internal/routes"
	"mas/internal/store"
)

// userEmailAttributes is upstream's UserEmail.
type userEmailAttributes struct {
	CreatedAt time.Time `json:"created_at"`
	UserID    domain.ID `json:"user_id"`
	Email     string    `json:"email"`
}

// addUserEmailRequest is the body of POST /user-emails.
type addUserEmailRequest struct {
	UserID domain.ID `json:"user_id"`
	Email  string    `json:"email"`
}

// UnmarshalJSON requires both fields, as upstream's serde does (the nil
// ID is a user ID like any other: 404).
func (q *addUserEmailRequest) UnmarshalJSON(b []byte) error {
	if err := requireFields(b, "user_id", "email"); err != nil {
		return err
	}
	type plain addUserEmailRequest
	return json.Unmarshal(b, (*plain)(q))
}

func userEmailResource(e *domain.UserEmail) resource {
	return resource{
		Type: "user-email", ID: e.ID.String(),
		Attributes: userEmailAttributes{CreatedAt: e.CreatedAt, UserID: e.UserID, Email: e.Email},
		Links:      selfLinks{Self: routes.AdminResource(routes.AdminUserEmails, e.ID.String())},
	}
}

// userEmailEndpoints lists the operations on user emails.
func (h *Handler) userEmailEndpoints() []endpoint {
	const tag, typ = "user-email", "user-email"
	attrs := userEmailAttributes{}
	return []endpoint{
		{Method: "GET", Path: routes.AdminUserEmails, OperationID: "listUserEmails", Tag: tag,
			Summary: "List user email addresses", Filters: userEmailFilters, Paginated: true,
			ResourceType: typ, Attributes: attrs, Status: http.StatusOK,
			Errors: []int{http.StatusBadRequest, http.StatusNotFound}, Handle: h.listUserEmails},
		{Method: "POST", Path: routes.AdminUserEmails, OperationID: "addUserEmail", Tag: tag,
			Summary: "Add an email address to a user", Request: addUserEmailRequest{},
			ResourceType: typ, Attributes: attrs, Status: http.StatusCreated,
			Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}, Handle: h.addUserEmail},
		{Method: "GET", Path: routes.AdminUserEmailPattern, OperationID: "getUserEmail", Tag: tag,
			Summary: "Get a user email address", ResourceType: typ, Attributes: attrs, Status: http.StatusOK,
			Errors: []int{http.StatusBadRequest, http.StatusNotFound}, Handle: h.getUserEmail},
		{Method: "DELETE", Path: routes.AdminUserEmailPattern, OperationID: "deleteUserEmail", Tag: tag,
			Summary: "Remove a user email address", Status: http.StatusNoContent,
			Errors: []int{http.StatusBadRequest, http.StatusNotFound}, Handle: h.deleteUserEmail},
	}
}

var userEmailFilters = []string{"user", "email"}

func userEmailNotFound(id domain.ID) string { return notFoundTitle("User email", id) }

func (h *Handler) listUserEmails(w http.ResponseWriter, r *http.Request) {
	if !h.sessionFilterRefsExist(w, r, userEmailFilters) {
		return
	}
	serveList(w, r, lister[store.UserEmailFilter, *domain.UserEmail]{
		base: routes.AdminUserEmails, filters: userEmailFilters,
		parse: func(fr *filterReader) store.UserEmailFilter {
			return store.UserEmailFilter{UserID: fr.ID("user"), Email: fr.String("email")}
		},
		count: h.Store.UserEmails().CountFiltered,
		fetch: h.Store.UserEmails().ListPage,
		id:    func(e *domain.UserEmail) domain.ID { return e.ID },
		toRes: userEmailResource,
	})
}

func (h *Handler) getUserEmail(w http.ResponseWriter, r *http.Request) {
	serveOne(w, r, h.Store.UserEmails().Lookup, userEmailNotFound, userEmailResource)
}

// errEmailInUse: another address row, of any user, compares equal.
var errEmailInUse = errors.New("email in use")

// addUserEmail attaches a confirmed address without verification, and
// provisions the user so that the homeserver learns it.
func (h *Handler) addUserEmail(w http.ResponseWriter, r *http.Request) {
	var req addUserEmailRequest
	if !readJSON(w, r, &req) {
		return
	}
	email := req.Email
	ctx := r.Context()
	if _, err := h.Store.Users().Lookup(ctx, req.UserID); !found(w, r, err, notFoundTitle("User", req.UserID)) {
		return
	}
	if !domain.IsMailableAddress(email) {
		writeError(w, http.StatusBadRequest, "Email "+strconv.Quote(email)+" is not valid")
		return
	}
	var added *domain.UserEmail
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		if _, err := tx.UserEmails().FindByEmail(ctx, email); err == nil {
			return errEmailInUse
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var err error
		if added, err = tx.UserEmails().Add(ctx, req.UserID, email); errors.Is(err, store.ErrConflict) {
			return errEmailInUse
		} else if err != nil {
			return err
		}
		return tx.Jobs().Enqueue(ctx, domain.ProvisionUserJob{UserID: req.UserID})
	})
	switch {
	case errors.Is(err, errEmailInUse):
		writeError(w, http.StatusConflict, "User email "+strconv.Quote(email)+" already in use")
	case err != nil:
		internalError(w, r, err)
	default:
		writeSingle(w, http.StatusCreated, userEmailResource(added))
	}
}

// deleteUserEmail removes the address and provisions its user again, so
// that the homeserver forgets it.
func (h *Handler) deleteUserEmail(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	err := store.WithTx(ctx, h.Store, func(tx store.Tx) error {
		e, err := tx.UserEmails().Lookup(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.UserEmails().Remove(ctx, id); err != nil {
			return err
		}
		return tx.Jobs().Enqueue(ctx, domain.ProvisionUserJob{UserID: e.UserID})
	})
	if found(w, r, err, userEmailNotFound(id)) {
		w.WriteHeader(http.StatusNoContent)
	}
}
