package web

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"mas/internal/domain"
	"mas/internal/routes"
	"mas/internal/store"
	"mas/internal/templates"
)

// inactiveAfter is when the session list marks a session as unused, as
// upstream's does.
const inactiveAfter = 90 * 24 * time.Hour

// sessionList is every active session of a user.
type sessionList struct {
	browsers []*domain.BrowserSession
	oauth    []*domain.Session
	compat   []*domain.CompatSession
	personal []*domain.PersonalSession
}

func (l *sessionList) count() int {
	return len(l.browsers) + len(l.oauth) + len(l.compat) + len(l.personal)
}

// userSessions loads every active session of the user.
func (h *Handler) userSessions(ctx context.Context, userID domain.ID) (*sessionList, error) {
	var l sessionList
	var err error
	if l.browsers, err = h.Store.BrowserSessions().ListActiveForUser(ctx, userID); err != nil {
		return nil, fmt.Errorf("listing browser sessions: %w", err)
	}
	if l.oauth, err = h.Store.Sessions().ListActiveForUser(ctx, userID); err != nil {
		return nil, fmt.Errorf("listing OAuth 2.0 sessions: %w", err)
	}
	if l.compat, err = h.Store.CompatSessions().ListActiveForUser(ctx, userID); err != nil {
		return nil, fmt.Errorf("listing compat sessions: %w", err)
	}
	if l.personal, err = h.Store.PersonalSessions().ListActiveForActor(ctx, userID); err != nil {
		return nil, fmt.Errorf("listing personal sessions: %w", err)
	}
	return &l, nil
}

// sessionViews turns a user's sessions into what the pages show: apps
// (OAuth 2.0, legacy and personal sessions) and browsers, the most
// recently used first. current is the browser session showing the page.
func (h *Handler) sessionViews(ctx context.Context, l *sessionList, userID, current domain.ID) (apps, browsers []templates.AccountSession, err error) {
	clients := map[domain.ID]*domain.Client{}
	for _, s := range l.oauth {
		c, ok := clients[s.ClientID]
		if !ok {
			if c, err = h.lookupClient(ctx, s.ClientID); err != nil {
				return nil, nil, err
			}
			clients[s.ClientID] = c
		}
		apps = append(apps, h.oauthSessionView(s, c))
	}
	for _, s := range l.compat {
		apps = append(apps, h.compatSessionView(s))
	}
	for _, s := range l.personal {
		apps = append(apps, h.personalSessionView(s, userID))
	}
	for _, s := range l.browsers {
		browsers = append(browsers, h.browserSessionView(s, current))
	}
	byRecentUse := func(a, b templates.AccountSession) int { return strings.Compare(lastSeen(b), lastSeen(a)) }
	slices.SortStableFunc(apps, byRecentUse)
	slices.SortStableFunc(browsers, byRecentUse)
	return apps, browsers, nil
}

// lookupClient finds a session's client; nil when it is gone.
func (h *Handler) lookupClient(ctx context.Context, id domain.ID) (*domain.Client, error) {
	c, err := h.Store.Clients().Lookup(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking up client %s: %w", id, err)
	}
	return c, nil
}

func lastSeen(s templates.AccountSession) string {
	if s.LastActive != nil {
		return s.LastActive.ISO
	}
	return s.Created.ISO
}

// sessionView fills what every kind of session shows.
func (h *Handler) sessionView(kind string, id domain.ID, created time.Time, lastActive *time.Time, ip string, endable bool) templates.AccountSession {
	v := templates.AccountSession{
		ID: id.String(), Kind: kind, Created: h.moment(created), LastIP: ip,
		Href: h.URLs.Relative(routes.AccountSession(id.String())),
	}
	seen := created
	if lastActive != nil {
		m := h.moment(*lastActive)
		v.LastActive = &m
		seen = *lastActive
	}
	v.Inactive = h.Clock.Now().Sub(seen) >= inactiveAfter
	if endable {
		v.EndAction = h.URLs.Relative(routes.AccountSessionEnd(id.String()))
	}
	return v
}

func (h *Handler) browserSessionView(s *domain.BrowserSession, current domain.ID) templates.AccountSession {
	v := h.sessionView(templates.SessionKindBrowser, s.ID, s.CreatedAt, s.LastActiveAt, s.LastActiveIP, true)
	v.UserAgent = s.UserAgent
	v.Current = s.ID == current
	return v
}

// oauthSessionView names the session after the name the user gave it, or
// its client (nil when the client is gone).
func (h *Handler) oauthSessionView(s *domain.Session, c *domain.Client) templates.AccountSession {
	v := h.sessionView(templates.SessionKindOAuth2, s.ID, s.CreatedAt, s.LastActiveAt, s.LastActiveIP, true)
	v.Name = s.HumanName
	if v.Name == "" && c != nil {
		v.Name = c.ClientName
	}
	v.UserAgent = s.UserAgent
	v.Devices = domain.DevicesInScope(s.Scope)
	v.Scopes = s.Scope
	return v
}

func (h *Handler) compatSessionView(s *domain.CompatSession) templates.AccountSession {
	v := h.sessionView(templates.SessionKindCompat, s.ID, s.CreatedAt, s.LastActiveAt, s.LastActiveIP, true)
	v.Name = s.HumanName
	v.UserAgent = s.UserAgent
	if s.DeviceID != "" {
		v.Devices = []string{s.DeviceID}
	}
	return v
}

// personalSessionView: the user may end the personal sessions they own;
// those an administrator (or a client) holds on their behalf are only
// shown.
func (h *Handler) personalSessionView(s *domain.PersonalSession, userID domain.ID) templates.AccountSession {
	owned := s.OwnerUserID != nil && *s.OwnerUserID == userID
	v := h.sessionView(templates.SessionKindPersonal, s.ID, s.CreatedAt, s.LastActiveAt, s.LastActiveIP, owned)
	v.Name = s.HumanName
	v.Devices = domain.DevicesInScope(s.Scope)
	v.Scopes = s.Scope
	return v
}
