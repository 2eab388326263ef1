package adminapi

import (
	"errors"
	"net/http"
	"time"

	"mas/internal/domain"
	"mas/internal/routes"
	"mas/internal/store"
)

// upstreamLinkAttributes is upstream's UpstreamOAuthLink.
type upstreamLinkAttributes struct {
	CreatedAt        time.Time  `json:"created_at"`
	ProviderID       domain.ID  `json:"provider_id"`
	Subject          string     `json:"subject"`
	UserID           *domain.ID `json:"user_id"`
	HumanAccountName *string    `json:"human_account_name"`
}

// addUpstreamLinkRequest is the body of POST /upstream-oauth-links.
type addUpstreamLinkRequest struct {
	UserID           domain.ID `json:"user_id"`
	ProviderID       domain.ID `json:"provider_id"`
	Subject          string    `json:"subject"`
	HumanAccountName *string   `json:"human_account_name"`
}

func upstreamLinkResource(l *domain.UpstreamLink) resource {
	a := upstreamLinkAttributes{CreatedAt: l.CreatedAt, ProviderID: l.ProviderID, Subject: l.Subject, UserID: l.UserID}
	if l.HumanAccountName != "" {
		a.HumanAccountName = &l.HumanAccountName
	}
	return resource{
		Type: "upstream-oauth-link", ID: l.ID.String(), Attributes: a,
		Links: selfLinks{Self: routes.AdminResource(routes.AdminUpstreamLinks, l.ID.String())},
	}
}

// upstreamLinkEndpoints lists the operations on upstream OAuth links.
func (h *Handler) upstreamLinkEndpoints() []endpoint {
	const tag, typ = "upstream-oauth-link", "upstream-oauth-link"
	attrs := upstreamLinkAttributes{}
	return []endpoint{
		{Method: "GET", Path: routes.AdminUpstreamLinks, OperationID: "listUpstreamOAuthLinks", Tag: tag,
			Summary: "List links to upstream accounts", Filters: upstreamLinkFilters, Paginated: true,
			ResourceType: typ, Attributes: attrs, Status: http.StatusOK,
			Errors: []int{http.StatusBadRequest, http.StatusNotFound}, Handle: h.listUpstreamLinks},
		{Method: "POST", Path: routes.AdminUpstreamLinks, OperationID: "addUpstreamOAuthLink", Tag: tag,
			Summary: "Link a user to an upstream account", Request: addUpstreamLinkRequest{},
			ResourceType: typ, Attributes: attrs, Status: http.StatusCreated,
			Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}, Handle: h.addUpstreamLink},
		{Method: "GET", Path: routes.AdminUpstreamLinkPattern, OperationID: "getUpstreamOAuthLink", Tag: tag,
			Summary: "Get a link to an upstream account", ResourceType: typ, Attributes: attrs, Status: http.StatusOK,
			Errors: []int{http.StatusBadRequest, http.StatusNotFound}, Handle: h.getUpstreamLink},
		{Method: "DELETE", Path: routes.AdminUpstreamLinkPattern, OperationID: "deleteUpstreamOAuthLink", Tag: tag,
			Summary: "Remove a link to an upstream account", Status: http.StatusNoContent,
			Errors: []int{http.StatusBadRequest, http.StatusNotFound}, Handle: h.deleteUpstreamLink},
	}
}

// upstreamLinkFilters are the filters GET /upstream-oauth-links implements.
var upstreamLinkFilters = []string{"user", "provider", "subject", "human-account-name"}

func upstreamLinkNotFound(id domain.ID) string { return notFoundTitle("Upstream OAuth 2.0 Link", id) }

func upstreamProviderNotFound(id domain.ID) string {
	return notFoundTitle("Upstream OAuth 2.0 Provider", id)
}

func (h *Handler) listUpstreamLinks(w http.ResponseWriter, r *http.Request) {
	if !h.filteredRefsExist(w, r) {
		return
	}
	serveList(w, r, lister[store.UpstreamLinkFilter, *domain.UpstreamLink]{
		base: routes.AdminUpstreamLinks, filters: upstreamLinkFilters,
		parse: func(fr *filterReader) store.UpstreamLinkFilter {
			return store.UpstreamLinkFilter{
				UserID: fr.ID("user"), ProviderID: fr.ID("provider"),
				Subject: fr.String("subject"), HumanAccountName: fr.String("human-account-name"),
			}
		},
		count: h.Store.UpstreamLinks().CountFiltered,
		fetch: h.Store.UpstreamLinks().ListPage,
		id:    func(l *domain.UpstreamLink) domain.ID { return l.ID },
		toRes: upstreamLinkResource,
	})
}

// filteredRefsExist answers 404, as upstream does, when filter[user] or
// filter[provider] names a well-formed ID that does not exist; malformed
// ones are left to serveList's 400.
func (h *Handler) filteredRefsExist(w http.ResponseWriter, r *http.Request) bool {
	q := r.URL.Query()
	if id, err := domain.ParseID(q.Get("filter[user]")); err == nil {
		if _, err := h.Store.Users().Lookup(r.Context(), id); !found(w, r, err, notFoundTitle("User", id)) {
			return false
		}
	}
	if id, err := domain.ParseID(q.Get("filter[provider]")); err == nil {
		if _, err := h.Store.UpstreamProviders().Lookup(r.Context(), id); !found(w, r, err, upstreamProviderNotFound(id)) {
			return false
		}
	}
	return true
}

func (h *Handler) getUpstreamLink(w http.ResponseWriter, r *http.Request) {
	serveOne(w, r, h.Store.UpstreamLinks().Lookup, upstreamLinkNotFound, upstreamLinkResource)
}

func (h *Handler) deleteUpstreamLink(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if found(w, r, h.Store.UpstreamLinks().Remove(r.Context(), id), upstreamLinkNotFound(id)) {
		w.WriteHeader(http.StatusNoContent)
	}
}

// addUpstreamLink links the subject to the user: 201 with a new link, 200
// when an existing link had no user yet (or already this one), 409 when
// it belongs to another user.
func (h *Handler) addUpstreamLink(w http.ResponseWriter, r *http.Request) {
	var req addUpstreamLinkRequest
	if !readJSON(w, r, &req) {
		return
	}
	if bad := missingLinkField(req); bad != "" {
		writeError(w, http.StatusBadRequest, "Invalid JSON body: missing field `"+bad+"`")
		return
	}
	ctx := r.Context()
	if _, err := h.Store.Users().Lookup(ctx, req.UserID); !found(w, r, err, notFoundTitle("User", req.UserID)) {
		return
	}
	if _, err := h.Store.UpstreamProviders().Lookup(ctx, req.ProviderID); !found(w, r, err, upstreamProviderNotFound(req.ProviderID)) {
		return
	}
	name := ""
	if req.HumanAccountName != nil {
		name = *req.HumanAccountName
	}
	status := http.StatusCreated
	l, err := h.Store.UpstreamLinks().Add(ctx, req.ProviderID, req.Subject, &req.UserID, name)
	if errors.Is(err, store.ErrConflict) {
		status = http.StatusOK
		l, err = h.associateExisting(r, req)
	}
	switch {
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "Upstream Oauth 2.0 Provider ID "+req.ProviderID.String()+
			" with subject "+req.Subject+" is already linked to a user")
	case err != nil:
		internalError(w, r, err)
	default:
		writeSingle(w, status, upstreamLinkResource(l))
	}
}

// associateExisting gives the existing (provider, subject) link to the
// request's user; ErrConflict when another user holds it.
func (h *Handler) associateExisting(r *http.Request, req addUpstreamLinkRequest) (*domain.UpstreamLink, error) {
	l, err := h.Store.UpstreamLinks().FindBySubject(r.Context(), req.ProviderID, req.Subject)
	if err != nil {
		return nil, err
	}
	if l.UserID != nil {
		if *l.UserID == req.UserID {
			return l, nil
		}
		return nil, store.ErrConflict
	}
	return l, h.Store.UpstreamLinks().Associate(r.Context(), l, req.UserID)
}

// missingLinkField names the first required field the request lacks.
func missingLinkField(req addUpstreamLinkRequest) string {
	switch {
	case req.UserID == domain.ZeroID:
		return "user_id"
	case req.ProviderID == domain.ZeroID:
		return "provider_id"
	case req.Subject == "":
		return "subject"
	}
	return ""
}
