package web

import (
	"net/http"
	"net/url"
	"time"

	"mas/internal/homeserver"
	"mas/internal/pages"
	"mas/internal/routes"
	"mas/internal/session"
	"mas/internal/templates"
)

// The sections of the account pages, in the order of their navigation.
const (
	sectionProfile      = "profile"
	sectionEmails       = "emails"
	sectionSessions     = "sessions"
	sectionPassword     = "password"
	sectionCrossSigning = "cross_signing"
	sectionPlan         = "plan"
	sectionDeactivate   = "deactivate"
)

// accountNav lists the sections this server offers.
func (h *Handler) accountNav(current string) []templates.AccountNavItem {
	sections := []struct {
		name, route string
		shown       bool
	}{
		{sectionProfile, routes.Account, true},
		{sectionEmails, routes.AccountEmails, true},
		{sectionSessions, routes.AccountSessions, true},
		{sectionPassword, routes.AccountPasswordChange, h.passwordChangeOffered()},
		{sectionCrossSigning, routes.AccountCrossSigningReset, true},
		{sectionPlan, routes.AccountPlan, h.Settings.PlanManagementIframeURI != ""},
		{sectionDeactivate, routes.AccountDeactivate, h.Settings.AccountDeactivationAllowed},
	}
	var nav []templates.AccountNavItem
	for _, s := range sections {
		if s.shown {
			nav = append(nav, templates.AccountNavItem{
				Href: h.URLs.Relative(s.route), Label: "account.nav." + s.name, Current: s.name == current,
			})
		}
	}
	return nav
}

// passwordChangeOffered reports whether the password section exists:
// password features on and account.password_change_allowed.
func (h *Handler) passwordChangeOffered() bool {
	return h.passwordsEnabled() && h.Settings.PasswordChangeAllowed
}

// accountPage is the layout data of an account section: the common page
// data with a form token (taken once per response) and the frame.
func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request, cur *session.Current, section string) (templates.Common, templates.AccountFrame) {
	return h.Pages.CommonWithCSRF(w, r), templates.AccountFrame{
		MXID:   homeserver.MXID(cur.User.Username, h.Login.ServerName),
		Nav:    h.accountNav(section),
		Notice: doneNotice(r),
	}
}

// The `done` notices a section is redirected to after a form succeeded.
const (
	doneDisplayName  = "display-name"
	doneEmailAdded   = "email-added"
	doneEmailRemoved = "email-removed"
	doneCodeSent     = "code-sent"
	donePassword     = "password"
	doneSessionEnded = "session-ended"
	doneCrossSigning = "cross-signing"
)

var doneNotices = map[string]string{
	doneDisplayName:  "account.notice.display_name_changed",
	doneEmailAdded:   "account.notice.email_added",
	doneEmailRemoved: "account.notice.email_removed",
	doneCodeSent:     "account.notice.code_sent",
	donePassword:     "account.notice.password_changed",
	doneSessionEnded: "account.notice.session_ended",
}

// doneNotice is the confirmation the request's `done` parameter names;
// anything else shows nothing.
func doneNotice(r *http.Request) templates.Message {
	if key, ok := doneNotices[r.URL.Query().Get("done")]; ok {
		return templates.Msg(key)
	}
	return templates.Message{}
}

// seeOtherDone redirects to an account page with a `done` notice.
func (h *Handler) seeOtherDone(w http.ResponseWriter, r *http.Request, path, done string) {
	pages.SeeOther(w, r, h.URLs.RelativeWithQuery(path, url.Values{"done": {done}}))
}

// Relative times: "just now", then minutes, hours, days, months, years.
func (h *Handler) moment(t time.Time) templates.Moment {
	return templates.Moment{
		Relative: relativeTime(h.Clock.Now().Sub(t)),
		Absolute: t.UTC().Format("2006-01-02 15:04 UTC"),
		ISO:      t.UTC().Format(time.RFC3339),
	}
}

func relativeTime(ago time.Duration) templates.Message {
	const day = 24 * time.Hour
	switch {
	case ago < time.Minute:
		return templates.Msg("account.time.just_now")
	case ago < time.Hour:
		return templates.Msg("account.time.minutes_ago", "count", int(ago/time.Minute))
	case ago < day:
		return templates.Msg("account.time.hours_ago", "count", int(ago/time.Hour))
	case ago < 45*day:
		return templates.Msg("account.time.days_ago", "count", int(ago/day))
	case ago < 365*day:
		return templates.Msg("account.time.months_ago", "count", int(ago/(30*day)))
	default:
		return templates.Msg("account.time.years_ago", "count", int(ago/(365*day)))
	}
}
