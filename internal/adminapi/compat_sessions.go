package adminapi

import (
	"context"
	"net/http"
	"time"

	"mas/internal/domain"
	"mas/internal/routes"
	"mas/internal/store"
)

// compatSessionAttributes is upstream's CompatSession.
type compatSessionAttributes struct {
	UserID        domain.ID  `json:"user_id"`
	DeviceID      *string    `json:"device_id"`
	UserSessionID *domain.ID `json:"user_session_id"`
	RedirectURI   *string    `json:"redirect_uri"`
	CreatedAt     time.Time  `json:"created_at"`
	UserAgent     *string    `json:"user_agent"`
	LastActiveAt  *time.Time `json:"last_active_at"`
	LastActiveIP  *string    `json:"last_active_ip"`
	FinishedAt    *time.Time `json:"finished_at"`
	HumanName     *string    `json:"human_name"`
}

func compatSessionResource(e *store.CompatSessionEntry) resource {
	s := e.CompatSession
	return resource{
		Type: "compat-session", ID: s.ID.String(),
		Attributes: compatSessionAttributes{
			UserID: s.UserID, DeviceID: sessionText(s.DeviceID), UserSessionID: s.BrowserSessionID,
			RedirectURI: sessionText(e.RedirectURI), CreatedAt: s.CreatedAt, UserAgent: sessionText(s.UserAgent),
			LastActiveAt: s.LastActiveAt, LastActiveIP: sessionText(s.LastActiveIP), FinishedAt: s.FinishedAt,
			HumanName: sessionText(s.HumanName),
		},
		Links: selfLinks{Self: routes.AdminResource(routes.AdminCompatSessions, s.ID.String())},
	}
}

// compatSessionEndpoints lists the operations on compatibility sessions.
func (h *Handler) compatSessionEndpoints() []endpoint {
	return sessionEndpoints(sessionOps{
		typ: "compat-session", name: "CompatSession",
		listSummary: "List compatibility sessions", getSummary: "Get a compatibility session", finishSummary: "End a compatibility session",
		list: routes.AdminCompatSessions, one: routes.AdminCompatSessionPattern, finish: routes.AdminCompatSessionFinishPattern,
		filters: compatSessionFilters, attrs: compatSessionAttributes{},
		listH: h.listCompatSessions, getH: h.getCompatSession, endH: h.finishCompatSession,
	})
}

var compatSessionFilters = append([]string{"user", "user-session", "status"}, sessionTimeFilters...)

func (h *Handler) listCompatSessions(w http.ResponseWriter, r *http.Request) {
	if !h.sessionFilterRefsExist(w, r, compatSessionFilters) {
		return
	}
	serveList(w, r, lister[store.CompatSessionFilter, *store.CompatSessionEntry]{
		base: routes.AdminCompatSessions, filters: compatSessionFilters,
		parse: func(fr *filterReader) store.CompatSessionFilter {
			return store.CompatSessionFilter{
				UserID: fr.ID("user"), BrowserSessionID: fr.ID("user-session"),
				Status: sessionStatus(fr), SessionTimes: sessionTimes(fr),
			}
		},
		count: h.Store.CompatSessions().CountFiltered,
		fetch: h.Store.CompatSessions().ListPage,
		id:    func(e *store.CompatSessionEntry) domain.ID { return e.ID },
		toRes: compatSessionResource,
	})
}

func (h *Handler) getCompatSession(w http.ResponseWriter, r *http.Request) {
	serveOne(w, r, h.Store.CompatSessions().LookupEntry, func(id domain.ID) string { return notFoundTitle("Compatibility session", id) }, compatSessionResource)
}

// finishCompatSession ends the session and, through the device sync it
// schedules, removes its device from the homeserver.
func (h *Handler) finishCompatSession(w http.ResponseWriter, r *http.Request) {
	finishSession(h, w, r, "Compatibility session",
		func(ctx context.Context, tx store.Tx, id domain.ID) (*store.CompatSessionEntry, error) {
			return tx.CompatSessions().LookupEntry(ctx, id)
		},
		func(ctx context.Context, tx store.Tx, e *store.CompatSessionEntry) error {
			return store.EndCompatSession(ctx, tx, e.CompatSession)
		}, compatSessionResource)
}
