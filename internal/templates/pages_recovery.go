package templates

// Names of the password recovery pages.
const (
	PageRecoveryStart    = "pages/recovery/start.html"
	PageRecoveryProgress = "pages/recovery/progress.html"
	PageRecoveryFinish   = "pages/recovery/finish.html"
	PageRecoveryExpired  = "pages/recovery/expired.html"
	PageRecoveryConsumed = "pages/recovery/consumed.html"
	PageRecoveryInvalid  = "pages/recovery/invalid.html"
	PageRecoveryDisabled = "pages/recovery/disabled.html"
)

// recoveryPages are the pages of /recover and the recovery link.
var recoveryPages = []pageSpec{
	page[RecoveryStartPage](PageRecoveryStart),
	page[RecoveryProgressPage](PageRecoveryProgress),
	page[RecoveryFinishPage](PageRecoveryFinish),
	page[RecoveryLinkPage](PageRecoveryExpired),
	page[RecoveryLinkPage](PageRecoveryConsumed),
	page[RecoveryLinkPage](PageRecoveryInvalid),
	page[RecoveryDisabledPage](PageRecoveryDisabled),
}

// RecoveryStartPage asks for the address to send a recovery link to.
type RecoveryStartPage struct {
	Common
	FormAction string
	// Email pre-fills the field after a refused attempt.
	Email      string
	EmailError Message
	// Errors are shown above the form (a rate limit).
	Errors []Message
	// Notice explains why the browser landed here (a progress page it
	// may not see).
	Notice Message
}

// Sample returns representative values for Check.
func (RecoveryStartPage) Sample() []RecoveryStartPage {
	return []RecoveryStartPage{
		{Common: sampleCommon(), FormAction: "/prefix/recover"},
		{
			Common: sampleCommon(), FormAction: "/prefix/recover", Email: `not-an-address"`,
			EmailError: Msg("recovery.error.email_invalid"),
			Errors:     []Message{Msg("recovery.error.rate_limited")},
			Notice:     Msg("recovery.start.unknown_progress"),
		},
	}
}

// RecoveryProgressPage says that a link is on its way, without saying
// whether the address belongs to anyone, and offers to send it again.
type RecoveryProgressPage struct {
	Common
	Email string
	// FormAction sends the link again.
	FormAction string
	// StartLink starts over with another address.
	StartLink string
	// Resent confirms that the link was sent again.
	Resent bool
	Errors []Message
}

// Sample returns representative values for Check.
func (RecoveryProgressPage) Sample() []RecoveryProgressPage {
	action := "/prefix/recover/progress/01ARZ3NDEKTSV4RRFFQ69G5FAV"
	return []RecoveryProgressPage{
		{Common: sampleCommon(), Email: "alice@example.com", FormAction: action, StartLink: "/prefix/recover"},
		{Common: sampleCommon(), Email: "<b>@example.com", FormAction: action, StartLink: "/prefix/recover", Resent: true},
		{
			Common: sampleCommon(), Email: "alice@example.com", FormAction: action, StartLink: "/prefix/recover",
			Errors: []Message{Msg("recovery.error.rate_limited")},
		},
	}
}

// RecoveryFinishPage is the recovery link's page: the new-password form,
// and, once the password is set (Done), the way to sign in with it.
type RecoveryFinishPage struct {
	Common
	// MXID names the account whose password is being reset; Username
	// lets password managers file the new password under it.
	MXID     string
	Username string
	// FormAction and Ticket post the form; Ticket goes in a hidden field.
	FormAction string
	Ticket     string
	// SignOutEverywhere keeps the checkbox as it was posted.
	SignOutEverywhere bool
	PasswordError     Message
	ConfirmError      Message
	Errors            []Message
	// Done: the password is set; SignedOut says every session ended.
	Done      bool
	SignedOut bool
}

// Sample returns representative values for Check.
func (RecoveryFinishPage) Sample() []RecoveryFinishPage {
	form := RecoveryFinishPage{
		Common: sampleCommon(), MXID: "@alice:example.com", Username: "alice",
		FormAction: "/prefix/account/password/recovery", Ticket: "sample-ticket",
	}
	refused := form
	refused.SignOutEverywhere = true
	refused.PasswordError = Msg("account.password.error.weak")
	refused.ConfirmError = Msg("account.password.error.mismatch")
	done := form
	done.Done, done.SignedOut = true, true
	return []RecoveryFinishPage{form, refused, done}
}

// RecoveryLinkPage explains why a recovery link cannot be used (expired,
// already used, unknown) and offers to start again.
type RecoveryLinkPage struct {
	Common
	StartLink string
}

// Sample returns representative values for Check.
func (RecoveryLinkPage) Sample() []RecoveryLinkPage {
	return []RecoveryLinkPage{{Common: sampleCommon(), StartLink: "/prefix/recover"}}
}

// RecoveryDisabledPage says that this server does not recover passwords.
type RecoveryDisabledPage struct {
	Common
}

// Sample returns representative values for Check.
func (RecoveryDisabledPage) Sample() []RecoveryDisabledPage {
	return []RecoveryDisabledPage{{Common: sampleCommon()}}
}
