package adminapi

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"mas/internal/domain"
	"mas/internal/routes"
	"mas/internal/store"
)

// personalSessionAttributes is upstream's PersonalSession; AccessToken is
// only there in the answers that create a token.
type personalSessionAttributes struct {
	CreatedAt     time.Time  `json:"created_at"`
	RevokedAt     *time.Time `json:"revoked_at"`
	OwnerUserID   *domain.ID `json:"owner_user_id"`
	OwnerClientID *domain.ID `json:"owner_client_id"`
	ActorUserID   domain.ID  `json:"actor_user_id"`
	HumanName     string     `json:"human_name"`
	Scope         string     `json:"scope"`
	LastActiveAt  *time.Time `json:"last_active_at"`
	LastActiveIP  *string    `json:"last_active_ip"`
	ExpiresAt     *time.Time `json:"expires_at"`
	AccessToken   *string    `json:"access_token,omitempty"`
}

// personalSessionResource renders a session with the expiry of its usable
// token, which a revoked session no longer has.
func personalSessionResource(l *store.PersonalSessionListed) resource {
	s := l.Session
	a := personalSessionAttributes{
		CreatedAt: s.CreatedAt, RevokedAt: s.RevokedAt,
		OwnerUserID: s.OwnerUserID, OwnerClientID: s.OwnerClientID, ActorUserID: s.ActorUserID, HumanName: s.HumanName, Scope: strings.Join(scopeSet(s.Scope), " "),
		LastActiveAt: s.LastActiveAt, LastActiveIP: emptyAsNull(s.LastActiveIP),
	}
	if s.RevokedAt == nil {
		a.ExpiresAt = l.TokenExpiresAt
	}
	return resource{
		Type: "personal-session", ID: s.ID.String(), Attributes: a,
		Links: selfLinks{Self: routes.AdminResource(routes.AdminPersonalSessions, s.ID.String())},
	}
}

// withToken adds the one-time access token to a personal session resource.
func withToken(res resource, token string) resource {
	a := res.Attributes.(personalSessionAttributes)
	a.AccessToken = &token
	res.Attributes = a
	return res
}

// personalSessionEndpoints lists the operations on personal sessions.
func (h *Handler) personalSessionEndpoints() []endpoint {
	attrs := personalSessionAttributes{}
	return []endpoint{
		{Method: "GET", Path: routes.AdminPersonalSessions, OperationID: "listPersonalSessions", Tag: "personal-session",
			Summary: "List personal sessions", Filters: personalSessionFilters, Paginated: true,
			ResourceType: "personal-session", Attributes: attrs, Status: http.StatusOK,
			Errors: []int{http.StatusBadRequest, http.StatusNotFound}, Handle: h.listPersonalSessions},
		{Method: "POST", Path: routes.AdminPersonalSessions, OperationID: "createPersonalSession", Tag: "personal-session",
			Summary: "Create a personal session and its personal access token", Request: createPersonalSessionRequest{},
			ResourceType: "personal-session", Attributes: attrs, Status: http.StatusCreated,
			Errors: []int{http.StatusBadRequest, http.StatusNotFound}, Handle: h.createPersonalSession},
		{Method: "GET", Path: routes.AdminPersonalSessionPattern, OperationID: "getPersonalSession", Tag: "personal-session",
			Summary: "Get a personal session", ResourceType: "personal-session", Attributes: attrs, Status: http.StatusOK,
			Errors: []int{http.StatusBadRequest, http.StatusNotFound}, Handle: h.getPersonalSession},
		{Method: "POST", Path: routes.AdminPersonalSessionRevokePattern, OperationID: "revokePersonalSession", Tag: "personal-session",
			Summary: "Revoke a personal session", ResourceType: "personal-session", Attributes: attrs, Status: http.StatusOK,
			Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}, Handle: h.revokePersonalSession},
		{Method: "POST", Path: routes.AdminPersonalSessionRegeneratePattern, OperationID: "regeneratePersonalSession", Tag: "personal-session",
			Summary: "Replace a personal session's personal access token", Request: regeneratePersonalSessionRequest{},
			ResourceType: "personal-session", Attributes: attrs, Status: http.StatusCreated,
			Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusUnprocessableEntity}, Handle: h.regeneratePersonalSession},
	}
}

// personalSessionFilters are the filters GET /personal-sessions
// implements (upstream spells these with underscores).
var personalSessionFilters = []string{"owner_user", "owner_client", "actor_user", "scope", "status",
	"expires_before", "expires_after", "expires"}

func (h *Handler) listPersonalSessions(w http.ResponseWriter, r *http.Request) {
	// As upstream, owners and actors named by the filters must exist; that
	// is checked once the parameters are known to be well-formed.
	q := r.URL.Query()
	if _, bad := parsePagination(q); bad == "" {
		if _, bad := parseFilters(q, personalSessionFilters...); bad == "" && !h.filterReferentsExist(w, r, q.Get) {
			return
		}
	}
	serveList(w, r, lister[store.PersonalSessionFilter, *store.PersonalSessionListed]{
		base: routes.AdminPersonalSessions, filters: personalSessionFilters,
		parse: func(fr *filterReader) store.PersonalSessionFilter {
			f := store.PersonalSessionFilter{
				OwnerUser: fr.ID("owner_user"), OwnerClient: fr.ID("owner_client"), ActorUser: fr.ID("actor_user"),
				Status:        fr.Enum("status", store.PersonalSessionStatusActive, store.PersonalSessionStatusRevoked),
				ExpiresBefore: fr.Time("expires_before"), ExpiresAfter: fr.Time("expires_after"), Expires: fr.Bool("expires"),
				Scope: fr.Scopes(),
			}
			return f
		},
		count: h.Store.PersonalSessions().CountFiltered,
		fetch: h.Store.PersonalSessions().ListPage,
		id:    func(l *store.PersonalSessionListed) domain.ID { return l.Session.ID },
		toRes: personalSessionResource,
	})
}

// filterReferentsExist answers 404 with upstream's title when a filter
// names a user or client that does not exist.
func (h *Handler) filterReferentsExist(w http.ResponseWriter, r *http.Request, get func(string) string) bool {
	for _, ref := range []struct {
		filter, what string
		lookup       func(domain.ID) error
	}{
		{"owner_user", "User", func(id domain.ID) error { _, err := h.Store.Users().Lookup(r.Context(), id); return err }},
		{"owner_client", "Client", func(id domain.ID) error { _, err := h.Store.Clients().Lookup(r.Context(), id); return err }},
		{"actor_user", "User", func(id domain.ID) error { _, err := h.Store.Users().Lookup(r.Context(), id); return err }},
	} {
		id, err := domain.ParseID(get("filter[" + ref.filter + "]"))
		if err != nil {
			continue // absent, or malformed: the filter reader answers 400
		}
		if !found(w, r, ref.lookup(id), notFoundTitle(ref.what, id)) {
			return false
		}
	}
	return true
}

func (h *Handler) getPersonalSession(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	s, err := h.Store.PersonalSessions().Lookup(r.Context(), id)
	if !found(w, r, err, "Personal session not found") {
		return
	}
	l, err := h.withTokenExpiry(r, s)
	if err != nil {
		internalError(w, r, err)
		return
	}
	writeSingle(w, http.StatusOK, personalSessionResource(l))
}

// withTokenExpiry pairs a session with its usable token's expiry.
func (h *Handler) withTokenExpiry(r *http.Request, s *domain.PersonalSession) (*store.PersonalSessionListed, error) {
	l := &store.PersonalSessionListed{Session: s}
	if s.RevokedAt != nil {
		return l, nil
	}
	t, err := h.Store.PersonalAccessTokens().ActiveForSession(r.Context(), s.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return l, nil
	case err != nil:
		return nil, err
	}
	l.TokenExpiresAt = t.ExpiresAt
	return l, nil
}

// scopeSet orders and de-duplicates a scope, as upstream's scope set
// renders it.
func scopeSet(scope []string) []string {
	out := slices.Clone(scope)
	slices.Sort(out)
	return slices.Compact(out)
}

// parseScope reads a space-separated scope as upstream does: every token
// between single spaces must be a scope token (RFC 6749 §3.3).
func parseScope(s string) ([]string, bool) {
	parts := strings.Split(s, " ")
	for _, p := range parts {
		if !isScopeToken(p) {
			return nil, false
		}
	}
	return scopeSet(parts), true
}

// isScopeToken reports whether s is a non-empty run of NQCHAR.
func isScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
