package templates

// Names of the pages of a login with an upstream provider (upstream's
// upstream_oauth2/ pages, plus a problem page of ours).
const (
	PageUpstreamRegister     = "pages/upstream/do_register.html"
	PageUpstreamSuggestLink  = "pages/upstream/suggest_link.html"
	PageUpstreamLinkMismatch = "pages/upstream/link_mismatch.html"
	PageUpstreamProblem      = "pages/upstream/problem.html"
)

// upstreamPages are the pages under /upstream/.
var upstreamPages = []pageSpec{
	page[UpstreamRegisterPage](PageUpstreamRegister),
	page[UpstreamSuggestLinkPage](PageUpstreamSuggestLink),
	page[UpstreamLinkMismatchPage](PageUpstreamLinkMismatch),
	page[UpstreamProblemPage](PageUpstreamProblem),
}

// UpstreamProvider names the provider a page is about.
type UpstreamProvider struct {
	// Name and Brand are as in ProviderButton.
	Name  string
	Brand string
	// AccountName is the upstream account's name (claims_imports
	// account_name), "" when the provider gave none.
	AccountName string
}

// UpstreamAttribute is an attribute the provider gave (display name,
// email address) as the registration page offers it.
type UpstreamAttribute struct {
	// Value is what the provider gave; "" hides the attribute.
	Value string
	// Forced: it is imported without asking (shown, not a choice).
	// Otherwise it is suggested: a checkbox, ticked by default.
	Forced bool
}

// UpstreamRegisterPage creates an account for an upstream account that is
// not linked to one yet (upstream's do_register): the username, the
// display name and email address to import, and the terms.
type UpstreamRegisterPage struct {
	Common
	FormAction string
	Provider   UpstreamProvider
	// ServerName is the homeserver's name, for the Matrix ID the username
	// makes.
	ServerName string
	// Username is the value of the username field; with UsernameFixed it
	// is the provider's and cannot be changed (shown, sent as a hidden
	// field).
	Username      string
	UsernameFixed bool
	UsernameError Message
	// DisplayName's checkbox is called import_display_name, Email's
	// import_email (both value "on").
	DisplayName UpstreamAttribute
	Email       UpstreamAttribute
	// EmailNeedsCode says the address will be confirmed with a mailed
	// code before the account is created.
	EmailNeedsCode bool
	// TermsURL, when set, must be accepted (checkbox accept_terms).
	TermsURL   string
	TermsError Message
	// Errors are about the whole form.
	Errors []Message
	// LoginLink lets a visitor with an account here sign in with it
	// instead (and link the provider's account from there).
	LoginLink string
}

// UpstreamSuggestLinkPage offers to link the upstream account to the
// account the browser is signed in with (form: action=link), or to go
// back (CancelLink).
type UpstreamSuggestLinkPage struct {
	Common
	FormAction string
	Provider   UpstreamProvider
	// MXID is the signed-in user's Matrix ID.
	MXID       string
	CancelLink string
}

// UpstreamLinkMismatchPage: the upstream account is linked to another user
// than the one the browser is signed in with. The form (action=switch)
// signs out and signs in as the linked user; CancelLink goes back.
type UpstreamLinkMismatchPage struct {
	Common
	FormAction string
	Provider   UpstreamProvider
	// CurrentMXID is the signed-in user, LinkedMXID the user the upstream
	// account signs in as.
	CurrentMXID string
	LinkedMXID  string
	CancelLink  string
}

// UpstreamProblemPage says why a login with a provider did not work. The
// operator finds the reason in the log.
type UpstreamProblemPage struct {
	Common
	Title Message
	Text  Message
	// RetryLink starts the login at the provider again; LoginLink goes
	// back to the login page. Either may be empty.
	RetryLink string
	LoginLink string
}

// sampleUpstreamLink is the link page of the samples, where the upstream
// pages' forms post.
const sampleUpstreamLink = "/prefix/upstream/link/01HFVBY12TMNTYTBV8W921M5FH"

// Sample returns representative values for Check.
func (UpstreamRegisterPage) Sample() []UpstreamRegisterPage {
	p := UpstreamRegisterPage{
		Common: sampleCommon(), FormAction: sampleUpstreamLink,
		Provider:   UpstreamProvider{Name: "GitHub", Brand: "github", AccountName: "alice-l"},
		ServerName: "example.com", LoginLink: "/prefix/login?id=01HFVBY12TMNTYTBV8W921M5FH&kind=link_upstream",
	}
	// An editable username, attributes suggested.
	suggested := p
	suggested.Username = "alice"
	suggested.DisplayName = UpstreamAttribute{Value: "Alice Liddell"}
	suggested.Email = UpstreamAttribute{Value: "alice@example.com"}
	// The provider's username, attributes imported without asking, an
	// address to confirm, terms.
	forced := p
	forced.Provider = UpstreamProvider{Name: "Google", Brand: "google", AccountName: "alice@gmail.example"}
	forced.Username, forced.UsernameFixed = "alice", true
	forced.DisplayName = UpstreamAttribute{Value: "Alice Liddell", Forced: true}
	forced.Email = UpstreamAttribute{Value: "alice@gmail.example", Forced: true}
	forced.EmailNeedsCode = true
	forced.TermsURL = "https://example.com/terms"
	// A refused form, with data to escape.
	refused := p
	refused.Provider = UpstreamProvider{Name: "Example <Corp> & Co SSO", AccountName: "<alice>&co"}
	refused.Username = "Alice<b>&"
	refused.UsernameError = Msg("register.error.username_taken")
	refused.DisplayName = UpstreamAttribute{Value: "Alice <&> Liddell"}
	refused.Email = UpstreamAttribute{Value: `"<b>&"@example.com`}
	refused.EmailNeedsCode = true
	refused.TermsURL = "https://example.com/terms?a=1&b=<2>"
	refused.TermsError = Msg("register.error.terms_required")
	refused.Errors = []Message{Msg("upstream.error.homeserver_unavailable")}
	// The provider's username refused, no account name, nothing to import,
	// no way to sign in instead.
	bare := p
	bare.Provider = UpstreamProvider{Name: "Example SSO"}
	bare.ServerName, bare.LoginLink = "", ""
	bare.Username, bare.UsernameFixed = "<bob>&", true
	bare.UsernameError = Msg("register.error.username_invalid_chars")
	// One attribute imported, the other suggested.
	mixed := p
	mixed.Username = ""
	mixed.DisplayName = UpstreamAttribute{Value: "Alice & Bob", Forced: true}
	mixed.Email = UpstreamAttribute{Value: "alice@example.com"}
	mixed.EmailNeedsCode = true
	return []UpstreamRegisterPage{suggested, forced, refused, bare, mixed}
}

// Sample returns representative values for Check.
func (UpstreamSuggestLinkPage) Sample() []UpstreamSuggestLinkPage {
	return []UpstreamSuggestLinkPage{
		{
			Common: sampleCommon(), FormAction: sampleUpstreamLink,
			Provider: UpstreamProvider{Name: "GitHub", Brand: "github", AccountName: "alice-l"},
			MXID:     "@alice:example.com", CancelLink: "/prefix/",
		},
		{
			Common: sampleCommon(), FormAction: sampleUpstreamLink,
			Provider: UpstreamProvider{Name: "Example <Corp> & Co SSO"},
			MXID:     "@<b>&:example.com",
		},
	}
}

// Sample returns representative values for Check.
func (UpstreamLinkMismatchPage) Sample() []UpstreamLinkMismatchPage {
	return []UpstreamLinkMismatchPage{
		{
			Common: sampleCommon(), FormAction: sampleUpstreamLink,
			Provider:    UpstreamProvider{Name: "GitLab", Brand: "gitlab", AccountName: "alice"},
			CurrentMXID: "@bob:example.com", LinkedMXID: "@alice:example.com", CancelLink: "/prefix/",
		},
		{
			Common: sampleCommon(), FormAction: sampleUpstreamLink,
			Provider:    UpstreamProvider{Name: "Example <Corp> & Co SSO"},
			CurrentMXID: "@<bob>:example.com", LinkedMXID: "@alice&co:example.com",
		},
	}
}

// Sample returns representative values for Check: every reason the
// handlers give, with the arguments they pass.
func (UpstreamProblemPage) Sample() []UpstreamProblemPage {
	const provider = "Example <Corp> & Co SSO"
	title := Msg("upstream.problem.title", "provider", provider)
	retry := "/prefix/upstream/authorize/01HFVBY12TMNTYTBV8W921M5FA"
	login := "/prefix/login"
	return []UpstreamProblemPage{
		{Common: sampleCommon(), Title: title, Text: Msg("upstream.error.unknown_provider"), LoginLink: login},
		{Common: sampleCommon(), Title: title, Text: Msg("upstream.error.unreachable", "provider", provider), RetryLink: retry, LoginLink: login},
		{Common: sampleCommon(), Title: title, Text: Msg("upstream.error.denied", "provider", provider), RetryLink: retry},
		{Common: sampleCommon(), Title: title, Text: Msg("upstream.error.misconfigured", "provider", provider)},
		{Common: sampleCommon(), Title: title, Text: Msg("upstream.error.untrusted_answer", "provider", provider), RetryLink: retry, LoginLink: login},
		{Common: sampleCommon(), Title: title, Text: Msg("upstream.error.session_unknown"), RetryLink: retry, LoginLink: login},
		{Common: sampleCommon(), Title: title, Text: Msg("upstream.error.already_used"), LoginLink: login},
		{Common: sampleCommon(), Title: title, Text: Msg("upstream.error.missing_details", "provider", provider), LoginLink: login},
		{
			Common: sampleCommon(), Title: title,
			Text:      Msg("upstream.error.username_taken", "username", "<alice>&", "provider", provider),
			LoginLink: login,
		},
		{
			Common: sampleCommon(), Title: title,
			Text:      Msg("upstream.error.username_invalid", "username", "Alice<b>", "provider", provider),
			LoginLink: login,
		},
		{Common: sampleCommon(), Title: title, Text: Msg("upstream.error.homeserver_unavailable"), RetryLink: retry},
		{Common: sampleCommon(), Title: title, Text: Msg("upstream.error.already_linked", "provider", provider), LoginLink: login},
		{Common: sampleCommon(), Title: title, Text: Msg("upstream.error.registration_closed", "provider", provider), LoginLink: login},
	}
}
