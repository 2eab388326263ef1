package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"mas/internal/domain"
	"mas/internal/pages"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/store"
	"mas/internal/templates"
)

// renderSessions shows every session of the user; errors say why the
// page was reached instead of another (an unknown session in a link).
func (h *Handler) renderSessions(w http.ResponseWriter, r *http.Request, cur *session.Current, status int, errs ...templates.Message) {
	ctx := r.Context()
	list, err := h.userSessions(ctx, cur.User.ID)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	apps, browsers, err := h.sessionViews(ctx, list, cur.User.ID, cur.Session.ID)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	common, frame := h.accountPage(w, r, cur, sectionSessions)
	h.Pages.Render(w, r, status, templates.PageAccountSessions, templates.AccountSessionsPage{
		Common: common, AccountFrame: frame, Apps: apps, Browsers: browsers, Errors: errs,
	})
}

func (h *Handler) sessionsPage(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	h.renderSessions(w, r, cur, http.StatusOK)
}

// sessionNotFound is the answer to a session ID that is not one of the
// user's active sessions: whether it exists for someone else is not told.
func (h *Handler) sessionNotFound(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	h.renderSessions(w, r, cur, http.StatusNotFound, templates.Msg("account.sessions.error.not_found"))
}

// sessionPage shows one session.
func (h *Handler) sessionPage(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	ctx := r.Context()
	s, err := h.findUserSession(ctx, cur.User.ID, r.PathValue(routes.ParamID))
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	if s == nil {
		h.sessionNotFound(w, r, cur)
		return
	}
	apps, browsers, err := h.sessionViews(ctx, s, cur.User.ID, cur.Session.ID)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	common, frame := h.accountPage(w, r, cur, sectionSessions)
	h.Pages.Render(w, r, http.StatusOK, templates.PageAccountSession, templates.AccountSessionPage{
		Common: common, AccountFrame: frame, Session: slices.Concat(apps, browsers)[0],
		BackHref: h.URLs.Relative(routes.AccountSessions),
	})
}

// sessionEndSubmit ends one of the user's sessions. Ending the browser
// session the request comes from signs out.
func (h *Handler) sessionEndSubmit(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	if !h.Pages.ReadForm(w, r) {
		return
	}
	ctx := r.Context()
	s, err := h.findUserSession(ctx, cur.User.ID, r.PathValue(routes.ParamID))
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	if s == nil || !s.endableBy(cur.User.ID) {
		h.sessionNotFound(w, r, cur)
		return
	}
	err = store.WithTx(ctx, h.Store, func(tx store.Tx) error { return s.end(ctx, tx) })
	if store.AlreadyEnded(err) {
		h.sessionNotFound(w, r, cur)
		return
	}
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	if len(s.browsers) == 1 && s.browsers[0].ID == cur.Session.ID {
		if err := h.Sessions.End(w, r); err != nil {
			h.Pages.InternalError(w, r, err)
			return
		}
		pages.SeeOther(w, r, h.URLs.Relative(routes.Login))
		return
	}
	h.seeOtherDone(w, r, routes.AccountSessions, doneSessionEnded)
}

// findUserSession finds the active session of the user with the given ID,
// of whichever kind, as a list holding just it; nil when there is none
// (malformed, unknown, another user's, or ended).
func (h *Handler) findUserSession(ctx context.Context, userID domain.ID, rawID string) (*sessionList, error) {
	id, err := domain.ParseID(rawID)
	if err != nil {
		return nil, nil
	}
	switch b, ok, err := lookupOwned(ctx, id, h.Store.BrowserSessions().Lookup, func(b *domain.BrowserSession) bool {
		return b.UserID == userID && b.Active()
	}); {
	case err != nil:
		return nil, err
	case ok:
		return &sessionList{browsers: []*domain.BrowserSession{b}}, nil
	}
	switch o, ok, err := lookupOwned(ctx, id, h.Store.Sessions().Lookup, func(o *domain.Session) bool {
		return o.UserID != nil && *o.UserID == userID && o.Active()
	}); {
	case err != nil:
		return nil, err
	case ok:
		return &sessionList{oauth: []*domain.Session{o}}, nil
	}
	switch c, ok, err := lookupOwned(ctx, id, h.Store.CompatSessions().Lookup, func(c *domain.CompatSession) bool {
		return c.UserID == userID && c.Active()
	}); {
	case err != nil:
		return nil, err
	case ok:
		return &sessionList{compat: []*domain.CompatSession{c}}, nil
	}
	switch p, ok, err := lookupOwned(ctx, id, h.Store.PersonalSessions().Lookup, func(p *domain.PersonalSession) bool {
		return p.ActorUserID == userID && p.RevokedAt == nil
	}); {
	case err != nil:
		return nil, err
	case ok:
		return &sessionList{personal: []*domain.PersonalSession{p}}, nil
	}
	return nil, nil
}

// lookupOwned looks id up and says whether it is what mine wants; an
// unknown id is no error.
func lookupOwned[T any](ctx context.Context, id domain.ID, lookup func(context.Context, domain.ID) (T, error), mine func(T) bool) (T, bool, error) {
	v, err := lookup(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return v, false, nil
	}
	if err != nil {
		return v, false, fmt.Errorf("looking up session %s: %w", id, err)
	}
	return v, mine(v), nil
}

// endableBy reports whether the user may end the (single) session of l
// here: any but a personal session someone else holds for them.
func (l *sessionList) endableBy(userID domain.ID) bool {
	for _, p := range l.personal {
		if p.OwnerUserID == nil || *p.OwnerUserID != userID {
			return false
		}
	}
	return true
}

// end ends every session of l in tx; those that may hold a device go
// through the store's rule, which also schedules the device sync.
func (l *sessionList) end(ctx context.Context, tx store.Tx) error {
	for _, b := range l.browsers {
		if err := tx.BrowserSessions().Finish(ctx, b); err != nil {
			return err
		}
	}
	for _, o := range l.oauth {
		if err := store.EndOAuthSession(ctx, tx, o); err != nil {
			return err
		}
	}
	for _, c := range l.compat {
		if err := store.EndCompatSession(ctx, tx, c); err != nil {
			return err
		}
	}
	for _, p := range l.personal {
		if err := store.EndPersonalSession(ctx, tx, p); err != nil {
			return err
		}
	}
	return nil
}

// deviceLink opens the session holding an MSC4191 device: its page has
// the button that ends it. A device no active session holds leaves the
// user on the session list, told so.
func (h *Handler) deviceLink(w http.ResponseWriter, r *http.Request, cur *session.Current, deviceID string) {
	if deviceID == "" {
		pages.SeeOther(w, r, h.URLs.Relative(routes.AccountSessions))
		return
	}
	list, err := h.userSessions(r.Context(), cur.User.ID)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	if id, ok := list.holding(deviceID); ok {
		pages.SeeOther(w, r, h.URLs.Relative(routes.AccountSession(id.String())))
		return
	}
	h.renderSessions(w, r, cur, http.StatusNotFound, templates.Msg("account.sessions.error.device_not_found", "device", deviceID))
}

// holding returns the session that holds the device.
func (l *sessionList) holding(deviceID string) (domain.ID, bool) {
	for _, c := range l.compat {
		if c.DeviceID == deviceID {
			return c.ID, true
		}
	}
	for _, o := range l.oauth {
		if slices.Contains(domain.DevicesInScope(o.Scope), deviceID) {
			return o.ID, true
		}
	}
	for _, p := range l.personal {
		if slices.Contains(domain.DevicesInScope(p.Scope), deviceID) {
			return p.ID, true
		}
	}
	return domain.ZeroID, false
}
