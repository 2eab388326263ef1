package adminapi

import (
	"net/http"
	"time"

	"mas/internal/domain"
	"mas/internal/routes"
	"mas/internal/store"
)

// registrationTokenType is upstream's resource type, underscore included.
const registrationTokenType = "user-registration_token"

// registrationTokenAttributes is upstream's UserRegistrationToken.
type registrationTokenAttributes struct {
	Token      string     `json:"token"`
	Valid      bool       `json:"valid"`
	UsageLimit *uint32    `json:"usage_limit"`
	TimesUsed  uint32     `json:"times_used"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// registrationTokenResource describes t, valid or not at now.
func registrationTokenResource(t *domain.RegistrationToken, now time.Time) resource {
	var limit *uint32
	if t.UsageLimit != nil {
		limit = new(uint32(*t.UsageLimit))
	}
	return resource{
		Type: registrationTokenType,
		ID:   t.ID.String(),
		Attributes: registrationTokenAttributes{
			Token: t.Token, Valid: t.Valid(now), UsageLimit: limit, TimesUsed: uint32(t.TimesUsed),
			CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt,
		},
		Links: selfLinks{Self: routes.AdminResource(routes.AdminRegistrationTokens, t.ID.String())},
	}
}

func (h *Handler) registrationTokenRes(t *domain.RegistrationToken) resource {
	return registrationTokenResource(t, h.Clock.Now())
}

// registrationTokenNotFound is upstream's 404 title.
func registrationTokenNotFound(id domain.ID) string {
	return "Registration token with ID " + id.String() + " not found"
}

// registrationTokenEndpoints lists the operations on user registration tokens.
func (h *Handler) registrationTokenEndpoints() []endpoint {
	const tag = "user-registration-token"
	one := func(e endpoint) endpoint {
		e.Tag, e.ResourceType, e.Attributes = tag, registrationTokenType, registrationTokenAttributes{}
		if e.Status == 0 {
			e.Status = http.StatusOK
		}
		return e
	}
	badOrMissing := []int{http.StatusBadRequest, http.StatusNotFound}
	return []endpoint{
		one(endpoint{Method: "GET", Path: routes.AdminRegistrationTokens, OperationID: "listUserRegistrationTokens",
			Summary: "List user registration tokens", Filters: registrationTokenFilters, Paginated: true,
			Errors: []int{http.StatusBadRequest}, Handle: h.listRegistrationTokens}),
		one(endpoint{Method: "POST", Path: routes.AdminRegistrationTokens, OperationID: "addUserRegistrationToken",
			Summary: "Create a user registration token", Request: addRegistrationTokenRequest{},
			Status: http.StatusCreated, Errors: []int{http.StatusBadRequest, http.StatusConflict},
			Handle: h.addRegistrationToken}),
		one(endpoint{Method: "GET", Path: routes.AdminRegistrationTokenPattern, OperationID: "getUserRegistrationToken",
			Summary: "Get a user registration token", Errors: badOrMissing, Handle: h.getRegistrationToken}),
		one(endpoint{Method: "PUT", Path: routes.AdminRegistrationTokenPattern, OperationID: "updateUserRegistrationToken",
			Summary: "Change a user registration token's expiry or usage limit", Request: editRegistrationTokenRequest{},
			Errors: badOrMissing, Handle: h.updateRegistrationToken}),
		one(endpoint{Method: "POST", Path: routes.AdminRegistrationTokenRevokePattern, OperationID: "revokeUserRegistrationToken",
			Summary: "Revoke a user registration token", Errors: badOrMissing, Handle: h.revokeRegistrationToken}),
		one(endpoint{Method: "POST", Path: routes.AdminRegistrationTokenUnrevokePattern, OperationID: "unrevokeUserRegistrationToken",
			Summary: "Unrevoke a user registration token", Errors: badOrMissing, Handle: h.unrevokeRegistrationToken}),
	}
}

// registrationTokenFilters are the filters GET /user-registration-tokens implements.
var registrationTokenFilters = []string{"used", "revoked", "expired", "valid"}

func (h *Handler) listRegistrationTokens(w http.ResponseWriter, r *http.Request) {
	serveList(w, r, lister[store.RegistrationTokenFilter, *domain.RegistrationToken]{
		base: routes.AdminRegistrationTokens, filters: registrationTokenFilters,
		parse: func(fr *filterReader) store.RegistrationTokenFilter {
			return store.RegistrationTokenFilter{
				Used: fr.Bool("used"), Revoked: fr.Bool("revoked"), Expired: fr.Bool("expired"), Valid: fr.Bool("valid"),
			}
		},
		count: h.Store.RegistrationTokens().CountFiltered,
		fetch: h.Store.RegistrationTokens().ListPage,
		id:    func(t *domain.RegistrationToken) domain.ID { return t.ID },
		toRes: h.registrationTokenRes,
	})
}

// lookupRegistrationToken reads the {id} token; false when it answered.
func (h *Handler) lookupRegistrationToken(w http.ResponseWriter, r *http.Request) (*domain.RegistrationToken, bool) {
	id, ok := pathID(w, r)
	if !ok {
		return nil, false
	}
	t, err := h.Store.RegistrationTokens().Lookup(r.Context(), id)
	return t, found(w, r, err, registrationTokenNotFound(id))
}

func (h *Handler) getRegistrationToken(w http.ResponseWriter, r *http.Request) {
	if t, ok := h.lookupRegistrationToken(w, r); ok {
		writeSingle(w, http.StatusOK, h.registrationTokenRes(t))
	}
}
