package adminapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"mas/internal/domain"
	"mas/internal/routes"
	"mas/internal/store"
)

// oauth2SessionAttributes is upstream's OAuth2Session.
type oauth2SessionAttributes struct {
	CreatedAt     time.Time  `json:"created_at"`
	FinishedAt    *time.Time `json:"finished_at"`
	UserID        *domain.ID `json:"user_id"`
	UserSessionID *domain.ID `json:"user_session_id"`
	ClientID      domain.ID  `json:"client_id"`
	Scope         string     `json:"scope"`
	UserAgent     *string    `json:"user_agent"`
	LastActiveAt  *time.Time `json:"last_active_at"`
	LastActiveIP  *string    `json:"last_active_ip"`
	HumanName     *string    `json:"human_name"`
}

func oauth2SessionResource(s *domain.Session) resource {
	return resource{
		Type: "oauth2-session", ID: s.ID.String(),
		Attributes: oauth2SessionAttributes{
			CreatedAt: s.CreatedAt, FinishedAt: s.FinishedAt, UserID: s.UserID, UserSessionID: s.BrowserSessionID,
			ClientID: s.ClientID, Scope: strings.Join(s.Scope, " "), UserAgent: sessionText(s.UserAgent),
			LastActiveAt: s.LastActiveAt, LastActiveIP: sessionText(s.LastActiveIP), HumanName: sessionText(s.HumanName),
		},
		Links: selfLinks{Self: routes.AdminResource(routes.AdminOAuth2Sessions, s.ID.String())},
	}
}

// oauth2SessionEndpoints lists the operations on OAuth 2.0 sessions.
func (h *Handler) oauth2SessionEndpoints() []endpoint {
	return sessionEndpoints(sessionOps{
		typ: "oauth2-session", name: "OAuth2Session",
		listSummary: "List OAuth 2.0 sessions", getSummary: "Get an OAuth 2.0 session", finishSummary: "End an OAuth 2.0 session",
		list: routes.AdminOAuth2Sessions, one: routes.AdminOAuth2SessionPattern, finish: routes.AdminOAuth2SessionFinishPattern,
		filters: oauth2SessionFilters, attrs: oauth2SessionAttributes{},
		listH: h.listOAuth2Sessions, getH: h.getOAuth2Session, endH: h.finishOAuth2Session,
	})
}

// oauth2SessionFilters: client and scope may be repeated (any of the
// clients; every one of the scope tokens).
var oauth2SessionFilters = append([]string{"user", "client", "client-kind", "user-session", "scope", "status"},
	sessionTimeFilters...)

func (h *Handler) listOAuth2Sessions(w http.ResponseWriter, r *http.Request) {
	if !h.sessionFilterRefsExist(w, r, oauth2SessionFilters) {
		return
	}
	serveList(w, r, lister[store.OAuth2SessionFilter, *domain.Session]{
		base: routes.AdminOAuth2Sessions, filters: oauth2SessionFilters,
		parse: func(fr *filterReader) store.OAuth2SessionFilter {
			f := store.OAuth2SessionFilter{UserID: fr.ID("user"), ClientIDs: filterIDs(fr, "client")}
			switch fr.Enum("client-kind", "dynamic", "static") {
			case "dynamic":
				f.StaticClient = new(false)
			case "static":
				f.StaticClient = new(true)
			}
			f.BrowserSessionID = fr.ID("user-session")
			f.Scope = fr.Scopes()
			f.Status, f.SessionTimes = sessionStatus(fr), sessionTimes(fr)
			return f
		},
		count: h.Store.Sessions().CountFiltered,
		fetch: h.Store.Sessions().ListPage,
		id:    func(s *domain.Session) domain.ID { return s.ID },
		toRes: oauth2SessionResource,
	})
}

// filterIDs reads a repeatable filter of IDs.
func filterIDs(fr *filterReader, name string) []domain.ID {
	var ids []domain.ID
	for _, raw := range fr.values["filter["+name+"]"] {
		id, err := domain.ParseID(raw)
		if fr.bad != "" || err != nil {
			if fr.bad == "" {
				fr.fail(name, "is not a valid ID")
			}
			return nil
		}
		ids = append(ids, id)
	}
	return ids
}

func (h *Handler) getOAuth2Session(w http.ResponseWriter, r *http.Request) {
	serveOne(w, r, h.Store.Sessions().Lookup, func(id domain.ID) string { return notFoundTitle("OAuth 2.0 session", id) }, oauth2SessionResource)
}

// finishOAuth2Session ends the session: its tokens stop working and the
// device sync it schedules removes its device from the homeserver.
func (h *Handler) finishOAuth2Session(w http.ResponseWriter, r *http.Request) {
	finishSession(h, w, r, "OAuth 2.0 session",
		func(ctx context.Context, tx store.Tx, id domain.ID) (*domain.Session, error) {
			return tx.Sessions().Lookup(ctx, id)
		},
		store.EndOAuthSession, oauth2SessionResource)
}
