package adminapi

import (
	"context"
	"net/http"
	"slices"

	"mas/internal/domain"
	"mas/internal/store"
)

// What the three session listings (browser, compat, OAuth 2.0) share:
// status and time filters, the 404s of filters naming missing rows, and
// the finish operation.

// sessionTimeFilters are the time bounds every session listing takes.
var sessionTimeFilters = []string{"created-before", "created-after", "last-active-before", "last-active-after"}

// sessionStatus reads filter[status].
func sessionStatus(fr *filterReader) string {
	return fr.Enum("status", store.SessionStatusActive, store.SessionStatusFinished)
}

// sessionTimes reads the time bounds.
func sessionTimes(fr *filterReader) store.SessionTimes {
	return store.SessionTimes{
		CreatedBefore: fr.Time("created-before"), CreatedAfter: fr.Time("created-after"),
		LastActiveBefore: fr.Time("last-active-before"), LastActiveAfter: fr.Time("last-active-after"),
	}
}

// sessionText is an optional text attribute: empty is null.
func sessionText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// sessionFilterRefsExist answers 404, as upstream does, when
// filter[user], filter[client] or filter[user-session], among the
// allowed filters, names a well-formed ID that does not exist; malformed
// ones are left to serveList's 400.
func (h *Handler) sessionFilterRefsExist(w http.ResponseWriter, r *http.Request, allowed []string) bool {
	q, ctx := r.URL.Query(), r.Context()
	exists := func(name, what string, lookup func(context.Context, domain.ID) error) bool {
		if !slices.Contains(allowed, name) {
			return true
		}
		for _, raw := range q["filter["+name+"]"] {
			if id, err := domain.ParseID(raw); err == nil && !found(w, r, lookup(ctx, id), notFoundTitle(what, id)) {
				return false
			}
		}
		return true
	}
	return exists("user", "User", func(ctx context.Context, id domain.ID) error {
		_, err := h.Store.Users().Lookup(ctx, id)
		return err
	}) && exists("client", "Client", func(ctx context.Context, id domain.ID) error {
		_, err := h.Store.Clients().Lookup(ctx, id)
		return err
	}) && exists("user-session", "User session", func(ctx context.Context, id domain.ID) error {
		_, err := h.Store.BrowserSessions().Lookup(ctx, id)
		return err
	})
}

// finishSession serves POST …/{id}/finish: in one transaction the session
// is looked up and ended, then answered as upstream does.
func finishSession[T any](h *Handler, w http.ResponseWriter, r *http.Request, what string,
	lookup func(context.Context, store.Tx, domain.ID) (T, error), end func(context.Context, store.Tx, T) error,
	toRes func(T) resource) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var s T
	err := store.WithTx(r.Context(), h.Store, func(tx store.Tx) error {
		var err error
		if s, err = lookup(r.Context(), tx, id); err != nil {
			return err
		}
		return end(r.Context(), tx, s)
	})
	if finished(w, r, err, what, id) {
		writeFinished(w, toRes(s))
	}
}

// finished maps the outcome of a finish operation: upstream's 404 and
// "already finished" 400 titles (which say "with ID", unlike the GETs),
// or 500; ok means the session was finished.
func finished(w http.ResponseWriter, r *http.Request, err error, what string, id domain.ID) bool {
	if store.AlreadyEnded(err) {
		writeError(w, http.StatusBadRequest, what+" with ID "+id.String()+" is already finished")
		return false
	}
	return found(w, r, err, what+" with ID "+id.String()+" not found")
}

// writeFinished answers a finish operation: the session, linked from the
// operation's own path as upstream does.
func writeFinished(w http.ResponseWriter, res resource) {
	writeJSON(w, http.StatusOK, single{Data: res, Links: selfLinks{Self: res.Links.Self + "/finish"}})
}

// sessionOps describes the list, get and finish operations every kind of
// session has, for sessionEndpoints.
type sessionOps struct {
	typ               string // resource type, also the OpenAPI tag
	name              string // operationId suffix: "UserSession" makes listUserSessions…
	listSummary       string
	getSummary        string
	finishSummary     string
	list, one, finish string // route patterns
	filters           []string
	attrs             any
	listH, getH, endH http.HandlerFunc
}

// sessionEndpoints lists a kind of session's three operations.
func sessionEndpoints(o sessionOps) []endpoint {
	errs := []int{http.StatusBadRequest, http.StatusNotFound}
	return []endpoint{
		{Method: "GET", Path: o.list, OperationID: "list" + o.name + "s", Tag: o.typ,
			Summary: o.listSummary, Filters: o.filters, Paginated: true,
			ResourceType: o.typ, Attributes: o.attrs, Status: http.StatusOK, Errors: errs, Handle: o.listH},
		{Method: "GET", Path: o.one, OperationID: "get" + o.name, Tag: o.typ,
			Summary: o.getSummary, ResourceType: o.typ, Attributes: o.attrs, Status: http.StatusOK, Errors: errs, Handle: o.getH},
		{Method: "POST", Path: o.finish, OperationID: "finish" + o.name, Tag: o.typ,
			Summary: o.finishSummary, ResourceType: o.typ, Attributes: o.attrs, Status: http.StatusOK, Errors: errs, Handle: o.endH},
	}
}
