package templates

// Names of the pages of the Matrix legacy SSO login.
const (
	PageCompatSSO                  = "pages/sso.html"
	PageCompatLoginPolicyViolation = "pages/compat_login_policy_violation.html"
)

// CompatSSOPage asks the user to let a Matrix client log in through the
// legacy m.login.sso flow. The client is known only by where it wants the
// login token sent, so that is what the page shows.
type CompatSSOPage struct {
	Common
	MXID string
	// DisplayName is the user's display name on the homeserver, when it
	// could be fetched quickly.
	DisplayName string
	// RedirectHost is the host of the client's redirectUrl, or "scheme:"
	// for an app's private-use scheme.
	RedirectHost string
	FormAction   string
}

// Sample returns representative values for Check.
func (CompatSSOPage) Sample() []CompatSSOPage {
	return []CompatSSOPage{
		{
			Common: sampleCommon(), MXID: "@alice:example.com", DisplayName: "Alice",
			RedirectHost: "app.element.io", FormAction: "/prefix/complete-compat-sso/01ARZ3NDEKTSV4RRFFQ69G5FAV?action=login",
		},
		{
			Common: sampleCommon(), MXID: "@bob:example.com", RedirectHost: `im.app<script>:`,
			FormAction: "/prefix/complete-compat-sso/01ARZ3NDEKTSV4RRFFQ69G5FAV",
		},
	}
}

// CompatLoginPolicyViolationPage explains why the server refused a legacy
// SSO login.
type CompatLoginPolicyViolationPage struct {
	Common
	MXID       string
	Violations []string
	// TooManySessions is set when the user can fix the refusal by ending
	// sessions (the session limit); the page then links to the account.
	TooManySessions bool
}

// Sample returns representative values for Check.
func (CompatLoginPolicyViolationPage) Sample() []CompatLoginPolicyViolationPage {
	return []CompatLoginPolicyViolationPage{
		{
			Common: sampleCommon(), MXID: "@alice:example.com",
			Violations: []string{"user has too many active sessions (soft limit)"}, TooManySessions: true,
		},
		{
			Common: sampleCommon(), MXID: "@alice:example.com",
			Violations: []string{"Requester [192.0.2.1 / curl] isn't allowed to do this action"},
		},
	}
}
