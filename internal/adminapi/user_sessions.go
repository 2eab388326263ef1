package adminapi

import (
	"context"
	"net/http"
	"time"

	"mas/internal/domain"
	"mas/internal/routes"
	"mas/internal/store"
)

// userSessionAttributes is upstream's UserSession (a browser session).
type userSessionAttributes struct {
	CreatedAt    time.Time  `json:"created_at"`
	FinishedAt   *time.Time `json:"finished_at"`
	UserID       domain.ID  `json:"user_id"`
	UserAgent    *string    `json:"user_agent"`
	LastActiveAt *time.Time `json:"last_active_at"`
	LastActiveIP *string    `json:"last_active_ip"`
}

func userSessionResource(s *domain.BrowserSession) resource {
	return resource{
		Type: "user-session", ID: s.ID.String(),
		Attributes: userSessionAttributes{
			CreatedAt: s.CreatedAt, FinishedAt: s.FinishedAt, UserID: s.UserID, UserAgent: sessionText(s.UserAgent),
			LastActiveAt: s.LastActiveAt, LastActiveIP: sessionText(s.LastActiveIP),
		},
		Links: selfLinks{Self: routes.AdminResource(routes.AdminUserSessions, s.ID.String())},
	}
}

// userSessionEndpoints lists the operations on browser sessions.
func (h *Handler) userSessionEndpoints() []endpoint {
	return sessionEndpoints(sessionOps{
		typ: "user-session", name: "UserSession",
		listSummary: "List browser sessions", getSummary: "Get a browser session", finishSummary: "End a browser session",
		list: routes.AdminUserSessions, one: routes.AdminUserSessionPattern, finish: routes.AdminUserSessionFinishPattern,
		filters: userSessionFilters, attrs: userSessionAttributes{},
		listH: h.listUserSessions, getH: h.getUserSession, endH: h.finishUserSession,
	})
}

var userSessionFilters = append([]string{"user", "status"}, sessionTimeFilters...)

func (h *Handler) listUserSessions(w http.ResponseWriter, r *http.Request) {
	if !h.sessionFilterRefsExist(w, r, userSessionFilters) {
		return
	}
	serveList(w, r, lister[store.BrowserSessionFilter, *domain.BrowserSession]{
		base: routes.AdminUserSessions, filters: userSessionFilters,
		parse: func(fr *filterReader) store.BrowserSessionFilter {
			return store.BrowserSessionFilter{UserID: fr.ID("user"), Status: sessionStatus(fr), SessionTimes: sessionTimes(fr)}
		},
		count: h.Store.BrowserSessions().CountFiltered,
		fetch: h.Store.BrowserSessions().ListPage,
		id:    func(s *domain.BrowserSession) domain.ID { return s.ID },
		toRes: userSessionResource,
	})
}

func (h *Handler) getUserSession(w http.ResponseWriter, r *http.Request) {
	serveOne(w, r, h.Store.BrowserSessions().Lookup, func(id domain.ID) string { return notFoundTitle("User session", id) }, userSessionResource)
}

func (h *Handler) finishUserSession(w http.ResponseWriter, r *http.Request) {
	finishSession(h, w, r, "User session",
		func(ctx context.Context, tx store.Tx, id domain.ID) (*domain.BrowserSession, error) {
			return tx.BrowserSessions().Lookup(ctx, id)
		},
		func(ctx context.Context, tx store.Tx, s *domain.BrowserSession) error {
			return tx.BrowserSessions().Finish(ctx, s)
		},
		userSessionResource)
}
