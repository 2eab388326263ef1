package templates

// Names of the account pages. Each section is a page of its own; they share
// the frame in account.html (the signed-in user and the sections'
// navigation).
const (
	PageAccountProfile      = "pages/account/profile.html"
	PageAccountEmails       = "pages/account/emails.html"
	PageAccountEmailVerify  = "pages/account/email_verify.html"
	PageAccountEmailRemove  = "pages/account/email_remove.html"
	PageAccountPassword     = "pages/account/password.html"
	PageAccountSessions     = "pages/account/sessions.html"
	PageAccountSession      = "pages/account/session.html"
	PageAccountCrossSigning = "pages/account/cross_signing.html"
	PageAccountDeactivate   = "pages/account/deactivate.html"
	PageAccountDeactivated  = "pages/account/deactivated.html"
	PageAccountPlan         = "pages/account/plan.html"
)

// accountPages are the pages under /account/.
var accountPages = []pageSpec{
	page[AccountProfilePage](PageAccountProfile),
	page[AccountEmailsPage](PageAccountEmails),
	page[AccountEmailVerifyPage](PageAccountEmailVerify),
	page[AccountEmailRemovePage](PageAccountEmailRemove),
	page[AccountPasswordPage](PageAccountPassword),
	page[AccountSessionsPage](PageAccountSessions),
	page[AccountSessionPage](PageAccountSession),
	page[AccountCrossSigningPage](PageAccountCrossSigning),
	page[AccountDeactivatePage](PageAccountDeactivate),
	page[AccountDeactivatedPage](PageAccountDeactivated),
	page[AccountPlanPage](PageAccountPlan),
}

// AccountFrame is what every account section shows around its content.
type AccountFrame struct {
	// MXID is the signed-in user's Matrix ID.
	MXID string
	// Nav lists the sections this server offers, in order.
	Nav []AccountNavItem
	// Notice confirms what the previous form did ("Password changed").
	Notice Message
}

// AccountNavItem is one section in the account navigation.
type AccountNavItem struct {
	Href string
	// Label is a catalog key.
	Label   string
	Current bool
}

// Moment is a point in time as the account pages show it: relative to now
// ("3 days ago"), with the absolute time for those who want it.
type Moment struct {
	Relative Message
	// Absolute is "2026-03-04 05:06 UTC"; ISO is for <time datetime>.
	Absolute string
	ISO      string
}

// PasswordConfirmation is the "current password" field of the forms that
// change something sensitive; Needed is false for users without a
// password (or without password features), who are not asked.
type PasswordConfirmation struct {
	Needed bool
	Error  Message
}

// AccountProfilePage is the start of the account pages.
type AccountProfilePage struct {
	Common
	AccountFrame
	Username string
	// DisplayName is the homeserver's; DisplayNameUnknown is set when the
	// homeserver could not be asked.
	DisplayName        string
	DisplayNameUnknown bool
	// FormAction is where a new display name is posted; "" when display
	// names cannot be changed here.
	FormAction       string
	DisplayNameError Message
	Errors           []Message
	// Links to the other sections, as a summary.
	EmailCount   int
	EmailsHref   string
	SessionCount int
	SessionsHref string
	// LinkedAccounts are the user's accounts at upstream providers; the
	// section is left out when there are none.
	LinkedAccounts []LinkedAccount
}

// Sample returns representative values for Check.
func (AccountProfilePage) Sample() []AccountProfilePage {
	p := AccountProfilePage{
		Common: sampleCommon(), AccountFrame: sampleAccountFrame(0), Username: "alice",
		DisplayName: "Alice <Liddell>", FormAction: "/prefix/account/display-name",
		EmailCount: 2, EmailsHref: "/prefix/account/emails", SessionCount: 1, SessionsHref: "/prefix/account/sessions",
	}
	refused := p
	refused.DisplayNameError = Msg("account.profile.error.display_name_too_long", "max", 255)
	refused.Errors = []Message{Msg("account.profile.error.homeserver")}
	refused.Notice = Msg("account.notice.display_name_changed")
	readOnly := p
	readOnly.FormAction, readOnly.DisplayName, readOnly.DisplayNameUnknown = "", "", true
	linked := p
	linked.LinkedAccounts = sampleLinkedAccounts()
	return []AccountProfilePage{p, refused, readOnly, linked}
}

// AccountEmail is one confirmed address.
type AccountEmail struct {
	Address string
	// RemoveHref confirms its removal; "" when it cannot be removed.
	RemoveHref string
}

// AccountEmailsPage lists the addresses and adds one.
type AccountEmailsPage struct {
	Common
	AccountFrame
	Emails []AccountEmail
	// FormAction adds an address; "" when addresses cannot be changed.
	FormAction string
	Email      string
	EmailError Message
	Password   PasswordConfirmation
	Errors     []Message
}

// Sample returns representative values for Check.
func (AccountEmailsPage) Sample() []AccountEmailsPage {
	p := AccountEmailsPage{
		Common: sampleCommon(), AccountFrame: sampleAccountFrame(1),
		Emails: []AccountEmail{
			{Address: "alice@example.com", RemoveHref: "/prefix/account/emails/01ARZ3NDEKTSV4RRFFQ69G5FAV/remove"},
			{Address: `"<b>"@example.com`, RemoveHref: "/prefix/account/emails/01ARZ3NDEKTSV4RRFFQ69G5FAW/remove"},
		},
		FormAction: "/prefix/account/emails", Password: PasswordConfirmation{Needed: true},
	}
	refused := p
	refused.Email = "mallory@banned.example"
	refused.EmailError = Msg("account.emails.error.denied")
	refused.Password.Error = Msg("account.error.password_wrong")
	refused.Errors = []Message{Msg("account.error.rate_limited")}
	readOnly := p
	readOnly.FormAction = ""
	readOnly.Emails = []AccountEmail{{Address: "alice@example.com"}}
	none := p
	none.Emails, none.Password = nil, PasswordConfirmation{}
	return []AccountEmailsPage{p, refused, readOnly, none}
}

// AccountEmailVerifyPage asks for the code mailed to an address being
// added.
type AccountEmailVerifyPage struct {
	Common
	AccountFrame
	Email      string
	FormAction string
	CodeError  Message
	Errors     []Message
	// InUse: the code was right, but the address belongs to another
	// account (said only now, to the owner of the address).
	InUse bool
	// BackHref returns to the list of addresses.
	BackHref string
}

// Sample returns representative values for Check.
func (AccountEmailVerifyPage) Sample() []AccountEmailVerifyPage {
	p := AccountEmailVerifyPage{
		Common: sampleCommon(), AccountFrame: sampleAccountFrame(1), Email: "alice@example.com",
		FormAction: "/prefix/account/emails/01ARZ3NDEKTSV4RRFFQ69G5FAV/verify", BackHref: "/prefix/account/emails",
	}
	refused := p
	refused.CodeError = Msg("account.emails.error.code_wrong")
	refused.Errors = []Message{Msg("account.emails.error.code_expired")}
	refused.Notice = Msg("account.notice.code_sent")
	inUse := p
	inUse.InUse = true
	return []AccountEmailVerifyPage{p, refused, inUse}
}

// AccountEmailRemovePage confirms the removal of an address.
type AccountEmailRemovePage struct {
	Common
	AccountFrame
	Email      string
	FormAction string
	Password   PasswordConfirmation
	Errors     []Message
	BackHref   string
}

// Sample returns representative values for Check.
func (AccountEmailRemovePage) Sample() []AccountEmailRemovePage {
	p := AccountEmailRemovePage{
		Common: sampleCommon(), AccountFrame: sampleAccountFrame(1), Email: "alice@example.com",
		FormAction: "/prefix/account/emails/01ARZ3NDEKTSV4RRFFQ69G5FAV/remove",
		Password:   PasswordConfirmation{Needed: true}, BackHref: "/prefix/account/emails",
	}
	refused := p
	refused.Password.Error = Msg("account.error.password_wrong")
	refused.Errors = []Message{Msg("account.emails.error.last")}
	return []AccountEmailRemovePage{p, refused}
}

// AccountPasswordPage changes the password.
type AccountPasswordPage struct {
	Common
	AccountFrame
	// Unavailable says why there is no form (changes disabled, no current
	// password); zero when the form is shown.
	Unavailable Message
	FormAction  string
	// Username lets password managers file the new password.
	Username      string
	CurrentError  Message
	PasswordError Message
	ConfirmError  Message
	Errors        []Message
}

// Sample returns representative values for Check.
func (AccountPasswordPage) Sample() []AccountPasswordPage {
	p := AccountPasswordPage{
		Common: sampleCommon(), AccountFrame: sampleAccountFrame(3),
		FormAction: "/prefix/account/password/change", Username: "alice",
	}
	refused := p
	refused.CurrentError = Msg("account.error.password_wrong")
	refused.PasswordError = Msg("account.password.error.weak")
	refused.ConfirmError = Msg("account.password.error.mismatch")
	refused.Errors = []Message{Msg("account.error.rate_limited")}
	refused.Notice = Msg("account.notice.password_changed")
	off := AccountPasswordPage{Common: sampleCommon(), AccountFrame: sampleAccountFrame(3), Unavailable: Msg("account.password.unavailable")}
	return []AccountPasswordPage{p, refused, off}
}

// Kinds of session, as AccountSession.Kind.
const (
	SessionKindBrowser  = "browser"
	SessionKindOAuth2   = "oauth2"
	SessionKindCompat   = "compat"
	SessionKindPersonal = "personal"
)

// AccountSession is one of the user's sessions.
type AccountSession struct {
	ID string
	// Kind is one of the SessionKind constants.
	Kind string
	// Name is what the user recognises: the client's name, the name the
	// session was given, or the browser; "" when there is none.
	Name    string
	Devices []string
	Scopes  []string
	Created Moment
	// LastActive is nil when the session was never seen in use.
	LastActive *Moment
	LastIP     string
	UserAgent  string
	// Current marks the browser session this page is shown in.
	Current bool
	// Inactive marks a session unused for 90 days or more.
	Inactive bool
	// Href shows the session; EndAction ends it ("" when it cannot be
	// ended here: a personal session an administrator handed out).
	Href      string
	EndAction string
}

// AccountSessionsPage lists every session of the user.
type AccountSessionsPage struct {
	Common
	AccountFrame
	// Apps are the OAuth 2.0, legacy and personal sessions; Browsers the
	// web logins.
	Apps     []AccountSession
	Browsers []AccountSession
	Errors   []Message
}

// Sample returns representative values for Check.
func (AccountSessionsPage) Sample() []AccountSessionsPage {
	apps, browsers := sampleAccountSessions()
	p := AccountSessionsPage{Common: sampleCommon(), AccountFrame: sampleAccountFrame(2), Apps: apps, Browsers: browsers}
	refused := p
	refused.Errors = []Message{Msg("account.sessions.error.not_found")}
	refused.Notice = Msg("account.notice.session_ended")
	empty := AccountSessionsPage{Common: sampleCommon(), AccountFrame: sampleAccountFrame(2)}
	return []AccountSessionsPage{p, refused, empty}
}

// AccountSessionPage shows one session.
type AccountSessionPage struct {
	Common
	AccountFrame
	Session  AccountSession
	BackHref string
}

// Sample returns representative values for Check.
func (AccountSessionPage) Sample() []AccountSessionPage {
	apps, browsers := sampleAccountSessions()
	var out []AccountSessionPage
	for _, s := range append(apps, browsers...) {
		out = append(out, AccountSessionPage{
			Common: sampleCommon(), AccountFrame: sampleAccountFrame(2), Session: s, BackHref: "/prefix/account/sessions",
		})
	}
	return out
}

func sampleAccountSessions() (apps, browsers []AccountSession) {
	ago := func(key string, n int, abs string) Moment {
		return Moment{Relative: Msg(key, "count", n), Absolute: abs, ISO: "2026-03-04T05:06:07Z"}
	}
	created := ago("account.time.days_ago", 3, "2026-03-01 05:06 UTC")
	seen := ago("account.time.minutes_ago", 5, "2026-03-04 05:01 UTC")
	old := ago("account.time.days_ago", 120, "2025-11-04 05:06 UTC")
	apps = []AccountSession{
		{
			ID: "01ARZ3NDEKTSV4RRFFQ69G5FA1", Kind: SessionKindOAuth2, Name: "Element <X>", Devices: []string{"ABCDEFGHIJ"},
			Scopes:  []string{"urn:matrix:client:api:*", "urn:matrix:client:device:ABCDEFGHIJ"},
			Created: created, LastActive: &seen, LastIP: "192.0.2.1", UserAgent: "Element X/1.0",
			Href: "/prefix/account/sessions/01ARZ3NDEKTSV4RRFFQ69G5FA1", EndAction: "/prefix/account/sessions/01ARZ3NDEKTSV4RRFFQ69G5FA1/end",
		},
		{
			ID: "01ARZ3NDEKTSV4RRFFQ69G5FA2", Kind: SessionKindCompat, Name: "", Devices: []string{"OLDPHONE"},
			Created: old, LastActive: &old, Inactive: true,
			Href: "/prefix/account/sessions/01ARZ3NDEKTSV4RRFFQ69G5FA2", EndAction: "/prefix/account/sessions/01ARZ3NDEKTSV4RRFFQ69G5FA2/end",
		},
		{
			ID: "01ARZ3NDEKTSV4RRFFQ69G5FA3", Kind: SessionKindPersonal, Name: "Backup bot",
			Scopes: []string{"urn:matrix:client:api:*"}, Created: created,
			Href: "/prefix/account/sessions/01ARZ3NDEKTSV4RRFFQ69G5FA3",
		},
	}
	browsers = []AccountSession{{
		ID: "01ARZ3NDEKTSV4RRFFQ69G5FA4", Kind: SessionKindBrowser, Created: created, LastActive: &seen,
		LastIP: "2001:db8::1", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", Current: true,
		Href: "/prefix/account/sessions/01ARZ3NDEKTSV4RRFFQ69G5FA4", EndAction: "/prefix/account/sessions/01ARZ3NDEKTSV4RRFFQ69G5FA4/end",
	}}
	return apps, browsers
}

// AccountCrossSigningPage lets the user replace their cross-signing keys
// (their cryptographic identity) from their Matrix client.
type AccountCrossSigningPage struct {
	Common
	AccountFrame
	FormAction string
	Password   PasswordConfirmation
	Errors     []Message
	// Allowed: the homeserver now accepts the reset for a while.
	Allowed  bool
	BackHref string
}

// Sample returns representative values for Check.
func (AccountCrossSigningPage) Sample() []AccountCrossSigningPage {
	p := AccountCrossSigningPage{
		Common: sampleCommon(), AccountFrame: sampleAccountFrame(4), FormAction: "/prefix/account/reset-cross-signing",
		Password: PasswordConfirmation{Needed: true}, BackHref: "/prefix/account/",
	}
	refused := p
	refused.Password.Error = Msg("account.error.password_wrong")
	refused.Errors = []Message{Msg("account.cross_signing.error.homeserver")}
	allowed := p
	allowed.Allowed = true
	return []AccountCrossSigningPage{p, refused, allowed}
}

// AccountDeactivatePage deactivates the account.
type AccountDeactivatePage struct {
	Common
	AccountFrame
	FormAction   string
	Password     PasswordConfirmation
	ConfirmError Message
	// Erase keeps the "erase my data" checkbox as it was posted.
	Erase  bool
	Errors []Message
}

// Sample returns representative values for Check.
func (AccountDeactivatePage) Sample() []AccountDeactivatePage {
	p := AccountDeactivatePage{
		Common: sampleCommon(), AccountFrame: sampleAccountFrame(6), FormAction: "/prefix/account/deactivate",
		Password: PasswordConfirmation{Needed: true},
	}
	refused := p
	refused.Password.Error = Msg("account.error.password_wrong")
	refused.ConfirmError = Msg("account.deactivate.error.confirm")
	refused.Erase = true
	refused.Errors = []Message{Msg("account.error.rate_limited")}
	return []AccountDeactivatePage{p, refused}
}

// AccountDeactivatedPage tells a user that the account is deactivated.
type AccountDeactivatedPage struct {
	Common
	MXID string
}

// Sample returns representative values for Check.
func (AccountDeactivatedPage) Sample() []AccountDeactivatedPage {
	return []AccountDeactivatedPage{{Common: sampleCommon(), MXID: "@alice:example.com"}}
}

// AccountPlanPage embeds the deployment's plan management page
// (experimental.plan_management_iframe_uri).
type AccountPlanPage struct {
	Common
	AccountFrame
	FrameURI string
}

// Sample returns representative values for Check.
func (AccountPlanPage) Sample() []AccountPlanPage {
	return []AccountPlanPage{{Common: sampleCommon(), AccountFrame: sampleAccountFrame(5), FrameURI: "https://billing.example.com/plan?x=<y>"}}
}

// sampleAccountFrame is the frame with every section, current the one at
// index current.
func sampleAccountFrame(current int) AccountFrame {
	nav := []AccountNavItem{
		{Href: "/prefix/account/", Label: "account.nav.profile"},
		{Href: "/prefix/account/emails", Label: "account.nav.emails"},
		{Href: "/prefix/account/sessions", Label: "account.nav.sessions"},
		{Href: "/prefix/account/password/change", Label: "account.nav.password"},
		{Href: "/prefix/account/reset-cross-signing", Label: "account.nav.cross_signing"},
		{Href: "/prefix/account/plan", Label: "account.nav.plan"},
		{Href: "/prefix/account/deactivate", Label: "account.nav.deactivate"},
	}
	nav[current].Current = true
	return AccountFrame{MXID: "@alice:example.com", Nav: nav}
}
