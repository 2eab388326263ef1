package adminapi

import (
	"errors"
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

// userFilters are the filters GET /users implements.
var userFilters = []string{"admin", "legacy-guest", "status", "search"}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, bad := parsePagination(q)
	if bad != "" {
		writeError(w, http.StatusBadRequest, bad)
		return
	}
	filters, bad := parseFilters(q, userFilters...)
	if bad != "" {
		writeError(w, http.StatusBadRequest, bad)
		return
	}
	f, bad := userFilter(filters)
	if bad != "" {
		writeError(w, http.StatusBadRequest, bad)
		return
	}
	var total *int
	if p.count != countFalse {
		n, err := h.Store.Users().CountFiltered(r.Context(), f)
		if err != nil {
			internalError(w, r, err)
			return
		}
		total = &n
	}
	var rows []*domain.User
	if p.count != countOnly {
		var err error
		if rows, err = h.Store.Users().ListPage(r.Context(), f, p.storePage()); err != nil {
			internalError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, page(p, rows, total, routes.AdminUsers, filters,
		func(u *domain.User) domain.ID { return u.ID }, userResource))
}

// userFilter reads the filter values; the string is the 400 error title.
func userFilter(filters map[string][]string) (store.UserFilter, string) {
	var f store.UserFilter
	for _, b := range []struct {
		name string
		into **bool
	}{{"filter[admin]", &f.Admin}, {"filter[legacy-guest]", &f.LegacyGuest}} {
		if vs := filters[b.name]; len(vs) > 0 {
			if vs[0] != "true" && vs[0] != "false" {
				return f, "Invalid filter parameters: " + b.name + " must be true or false"
			}
			v := vs[0] == "true"
			*b.into = &v
		}
	}
	if vs := filters["filter[status]"]; len(vs) > 0 {
		switch vs[0] {
		case store.UserStatusActive, store.UserStatusLocked, store.UserStatusDeactivated:
			f.Status = vs[0]
		default:
			return f, "Invalid filter parameters: filter[status] must be active, locked or deactivated"
		}
	}
	if vs := filters["filter[search]"]; len(vs) > 0 {
		f.Search = vs[0]
	}
	return f, ""
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue(routes.ParamID)
	id, err := domain.ParseID(raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Invalid ID "+strconv.Quote(raw))
		return
	}
	h.writeUser(w, r, func() (*domain.User, error) { return h.Store.Users().Lookup(r.Context(), id) },
		"User ID "+id.String()+" not found")
}

func (h *Handler) getUserByUsername(w http.ResponseWriter, r *http.Request) {
	username := r.PathValue(routes.ParamUsername)
	h.writeUser(w, r, func() (*domain.User, error) { return h.Store.Users().FindByUsername(r.Context(), username) },
		"User with username "+strconv.Quote(username)+" not found")
}

// writeUser answers with the user find returns, 404 if there is none.
func (h *Handler) writeUser(w http.ResponseWriter, r *http.Request, find func() (*domain.User, error), notFound string) {
	u, err := find()
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, notFound)
		return
	}
	if err != nil {
		internalError(w, r, err)
		return
	}
	writeSingle(w, http.StatusOK, userResource(u))
}
