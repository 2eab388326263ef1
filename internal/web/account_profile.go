package web

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"

	"mas/internal/domain"
	"mas/internal/pages"
	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/templates"
)

// profileForm is what the profile page shows besides the account itself.
type profileForm struct {
	status      int
	displayName *string // the refused value, to show it again
	fieldError  templates.Message
	errors      []templates.Message
}

// renderProfile shows the profile section: the account, its display name
// (read from the homeserver, where it lives) and a summary of the others.
func (h *Handler) renderProfile(w http.ResponseWriter, r *http.Request, cur *session.Current, f profileForm) {
	ctx := r.Context()
	common, frame := h.accountPage(w, r, cur, sectionProfile)
	page := templates.AccountProfilePage{
		Common: common, AccountFrame: frame, Username: cur.User.Username,
		DisplayNameError: f.fieldError, Errors: f.errors,
		EmailsHref: h.URLs.Relative(routes.AccountEmails), SessionsHref: h.URLs.Relative(routes.AccountSessions),
	}
	if mu, err := h.Homeserver.QueryUser(ctx, cur.User.Username); err != nil {
		// The page still works without it; the operator hears about it.
		requestctx.Logger(ctx).WarnContext(ctx, "reading the display name from the homeserver", "user_id", cur.User.ID.String(), "error", err)
		page.DisplayNameUnknown = true
	} else {
		page.DisplayName = mu.DisplayName
	}
	if f.displayName != nil {
		page.DisplayName = *f.displayName
	}
	if h.Settings.DisplayNameChangeAllowed {
		page.FormAction = h.URLs.Relative(routes.AccountDisplayName)
	}
	emails, err := h.Store.UserEmails().ListForUser(ctx, cur.User.ID)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	page.EmailCount = len(emails)
	list, err := h.userSessions(ctx, cur.User.ID)
	if err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	page.SessionCount = list.count()
	if page.LinkedAccounts, err = h.linkedAccounts(ctx, cur.User.ID); err != nil {
		h.Pages.InternalError(w, r, err)
		return
	}
	status := f.status
	if status == 0 {
		status = http.StatusOK
	}
	h.Pages.Render(w, r, status, templates.PageAccountProfile, page)
}

// displayNameSubmit changes the display name on the homeserver, at once:
// it is the homeserver's to keep, and a failure is shown on the page with
// nothing changed. An empty name removes it.
func (h *Handler) displayNameSubmit(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	if !h.Pages.ReadForm(w, r) {
		return
	}
	if !h.Settings.DisplayNameChangeAllowed {
		h.renderProfile(w, r, cur, profileForm{status: http.StatusForbidden, errors: []templates.Message{templates.Msg("account.error.disabled")}})
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("display_name"))
	if utf8.RuneCountInString(name) > maxDisplayNameLength {
		h.renderProfile(w, r, cur, profileForm{
			status: http.StatusBadRequest, displayName: &name,
			fieldError: templates.Msg("account.profile.error.display_name_too_long", "max", maxDisplayNameLength),
		})
		return
	}
	ctx := r.Context()
	var err error
	if name == "" {
		err = h.Homeserver.UnsetDisplayName(ctx, cur.User.Username)
	} else {
		err = h.Homeserver.SetDisplayName(ctx, cur.User.Username, name)
	}
	if err != nil {
		requestctx.Logger(ctx).ErrorContext(ctx, "changing the display name on the homeserver", "user_id", cur.User.ID.String(), "error", err)
		h.renderProfile(w, r, cur, profileForm{
			status: http.StatusBadGateway, displayName: &name,
			errors: []templates.Message{templates.Msg("account.profile.error.homeserver")},
		})
		return
	}
	h.seeOtherDone(w, r, routes.Account, doneDisplayName)
}

// accountIndex serves /account/: the profile, or the section an MSC4191
// action asks for.
func (h *Handler) accountIndex(w http.ResponseWriter, r *http.Request, cur *session.Current) {
	q := r.URL.Query()
	switch q.Get(paramAction) {
	case actionSessionsList, actionDevicesList, legacyActionSessionsList:
		pages.SeeOther(w, r, h.URLs.Relative(routes.AccountSessions))
	case actionSessionView, actionSessionEnd, actionDeviceView, actionDeviceDelete,
		legacyActionSessionView, legacyActionSessionEnd:
		h.deviceLink(w, r, cur, q.Get(paramDeviceID))
	case actionCrossSigningReset:
		pages.SeeOther(w, r, h.URLs.Relative(routes.AccountCrossSigningReset))
	default:
		// org.matrix.profile (and its older spelling "profile"), no
		// action, or one this server does not know: the profile.
		h.renderProfile(w, r, cur, profileForm{})
	}
}

// MSC4191 account management actions, as clients put them in the query of
// the account_management_uri, with the spellings upstream still accepts
// from before the MSC settled.
const (
	paramAction   = "action"
	paramDeviceID = "device_id"

	actionSessionsList      = "org.matrix.sessions_list"
	actionSessionView       = "org.matrix.session_view"
	actionSessionEnd        = "org.matrix.session_end"
	actionDevicesList       = "org.matrix.devices_list"
	actionDeviceView        = "org.matrix.device_view"
	actionDeviceDelete      = "org.matrix.device_delete"
	actionCrossSigningReset = "org.matrix.cross_signing_reset"

	legacyActionSessionsList = "sessions_list"
	legacyActionSessionView  = "session_view"
	legacyActionSessionEnd   = "session_end"
)

// linkedAccounts lists the user's accounts at upstream providers, oldest
// first, naming providers no longer configured as such.
func (h *Handler) linkedAccounts(ctx context.Context, userID domain.ID) ([]templates.LinkedAccount, error) {
	links, err := h.Store.UpstreamLinks().ListForUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]templates.LinkedAccount, 0, len(links))
	for _, l := range links {
		p, err := h.Store.UpstreamProviders().Lookup(ctx, l.ProviderID)
		if err != nil {
			return nil, err
		}
		out = append(out, templates.LinkedAccount{
			ProviderName:     providerName(p),
			Brand:            templates.ProviderBrand(p.BrandName),
			AccountName:      l.HumanAccountName,
			Since:            h.moment(l.CreatedAt),
			ProviderDisabled: !p.Enabled(),
		})
	}
	return out, nil
}
