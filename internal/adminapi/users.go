package adminapi

import (
	"net/http"
	"strconv"
	"time"

	"mas/internal/domain"
	"mas/internal/routes"
	"mas/internal/store"
)

// userAttributes is upstream's User.
type userAttributes struct {
	Username      string     `json:"username"`
	CreatedAt     time.Time  `json:"created_at"`
	LockedAt      *time.Time `json:"locked_at"`
	DeactivatedAt *time.Time `json:"deactivated_at"`
	Admin         bool       `json:"admin"`
	LegacyGuest   bool       `json:"legacy_guest"`
}

func userResource(u *domain.User) resource {
	return resource{
		Type: "user",
		ID:   u.ID.String(),
		Attributes: userAttributes{
			Username: u.Username, CreatedAt: u.CreatedAt, LockedAt: u.LockedAt, DeactivatedAt: u.DeactivatedAt,
			Admin: u.CanRequestAdmin, LegacyGuest: u.IsGuest,
		},
		Links: selfLinks{Self: routes.AdminUser(u.ID.String())},
	}
}

// userEndpoints lists the operations on users.
func (h *Handler) userEndpoints() []endpoint {
	return append([]endpoint{
		{Method: "GET", Path: routes.AdminUsers, OperationID: "listUsers", Tag: "user",
			Summary: "List users", Filters: userFilters, Paginated: true,
			ResourceType: "user", Attributes: userAttributes{}, Status: http.StatusOK,
			Errors: []int{http.StatusBadRequest}, Handle: h.listUsers},
		{Method: "GET", Path: routes.AdminUserPattern, OperationID: "getUser", Tag: "user",
			Summary: "Get a user", ResourceType: "user", Attributes: userAttributes{}, Status: http.StatusOK,
			Errors: []int{http.StatusBadRequest, http.StatusNotFound}, Handle: h.getUser},
		{Method: "GET", Path: routes.AdminUserByUsernamePattern, OperationID: "getUserByUsername", Tag: "user",
			Summary: "Get a user by its username", ResourceType: "user", Attributes: userAttributes{}, Status: http.StatusOK,
			Errors: []int{http.StatusNotFound}, Handle: h.getUserByUsername},
	}, h.userWriteEndpoints()...)
}

// userFilters are the filters GET /users implements.
var userFilters = []string{
	"admin", "legacy-guest", "status", "search",
	"active-oauth2-client", "has-active-oauth2-session", "has-active-compat-session",
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) {
	serveList(w, r, lister[store.UserFilter, *domain.User]{
		base: routes.AdminUsers, filters: userFilters,
		parse: func(fr *filterReader) store.UserFilter {
			return store.UserFilter{
				Admin: fr.Bool("admin"), LegacyGuest: fr.Bool("legacy-guest"),
				Status:                 fr.Enum("status", store.UserStatusActive, store.UserStatusLocked, store.UserStatusDeactivated),
				Search:                 fr.String("search"),
				ActiveOAuth2Clients:    activeClientFilter(fr),
				HasActiveOAuth2Session: fr.Bool("has-active-oauth2-session"),
				HasActiveCompatSession: fr.Bool("has-active-compat-session"),
			}
		},
		count: h.Store.Users().CountFiltered,
		fetch: h.Store.Users().ListPage,
		id:    func(u *domain.User) domain.ID { return u.ID },
		toRes: userResource,
	})
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) {
	serveOne(w, r, h.Store.Users().Lookup, func(id domain.ID) string { return notFoundTitle("User", id) }, userResource)
}

func (h *Handler) getUserByUsername(w http.ResponseWriter, r *http.Request) {
	username := r.PathValue(routes.ParamUsername)
	// A name that is not valid text names no user (and PostgreSQL
	// rejects it).
	var u *domain.User
	err := store.ErrNotFound
	if validText(username) {
		u, err = h.Store.Users().FindByUsername(r.Context(), username)
	}
	if found(w, r, err, "User with username "+strconv.Quote(username)+" not found") {
		writeSingle(w, http.StatusOK, userResource(u))
	}
}

// activeClientFilter reads filter[active-oauth2-client], which may be
// repeated: a user matches with an active session of any of the clients.
func activeClientFilter(fr *filterReader) []domain.ID {
	const name = "active-oauth2-client"
	var out []domain.ID
	for _, raw := range fr.values["filter["+name+"]"] {
		if fr.bad != "" {
			return nil
		}
		id, err := domain.ParseID(raw)
		if err != nil {
			fr.fail(name, "is not a valid ID")
			return nil
		}
		out = append(out, id)
	}
	return out
}
