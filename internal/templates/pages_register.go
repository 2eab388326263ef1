package templates

// Names of the registration pages (upstream's names, below pages/).
const (
	PageRegisterIndex       = "pages/register/index.html"
	PageRegisterPassword    = "pages/register/password.html"
	PageRegisterVerifyEmail = "pages/register/steps/verify_email.html"
	PageRegisterEmailInUse  = "pages/register/steps/email_in_use.html"
	PageRegisterDisplayName = "pages/register/steps/display_name.html"
	PageRegisterToken       = "pages/register/steps/registration_token.html"
	PageRegisterProblem     = "pages/register/problem.html"
)

// registrationPages are the pages of /register and its steps.
var registrationPages = []pageSpec{
	page[RegisterIndexPage](PageRegisterIndex),
	page[RegisterPasswordPage](PageRegisterPassword),
	page[RegisterVerifyEmailPage](PageRegisterVerifyEmail),
	page[RegisterEmailInUsePage](PageRegisterEmailInUse),
	page[RegisterDisplayNamePage](PageRegisterDisplayName),
	page[RegisterTokenPage](PageRegisterToken),
	page[RegisterProblemPage](PageRegisterProblem),
}

// sampleRegistrationStep is the URL of a step in the samples.
const sampleRegistrationStep = "/prefix/register/steps/01ARZ3NDEKTSV4RRFFQ69G5FAV/"

// RegisterIndexPage lets the visitor choose how to create an account.
type RegisterIndexPage struct {
	Common
	// PasswordLink opens the password form, keeping the post-authentication
	// action and the suggested username; "" when only providers register.
	PasswordLink string
	// Providers register (or sign in) with an upstream provider; the flow
	// that follows decides which.
	Providers []ProviderButton
	// LoginLink is for visitors who already have an account.
	LoginLink string
	// ClientName names the application the account is for, when the
	// registration continues an authorization.
	ClientName string
}

// Sample returns representative values for Check.
func (RegisterIndexPage) Sample() []RegisterIndexPage {
	return []RegisterIndexPage{
		{Common: sampleCommon(), PasswordLink: "/prefix/register/password", LoginLink: "/prefix/login"},
		{
			Common:       sampleCommon(),
			PasswordLink: "/prefix/register/password?id=01ARZ3NDEKTSV4RRFFQ69G5FAV&kind=continue_authorization_grant&username=alice",
			LoginLink:    "/prefix/login?id=01ARZ3NDEKTSV4RRFFQ69G5FAV&kind=continue_authorization_grant",
			ClientName:   "Element <beta>",
		},
		{
			Common:       sampleCommon(),
			PasswordLink: "/prefix/register/password",
			LoginLink:    "/prefix/login",
			Providers:    sampleProviders(""),
		},
		{Common: sampleCommon(), LoginLink: "/prefix/login", Providers: sampleProviders("")[5:]},
	}
}

// Captcha is the challenge widget of the registration form: the service's
// script and the element it turns into the challenge.
type Captcha struct {
	ScriptURL string
	// Class is the element's class (g-recaptcha, h-captcha, cf-turnstile).
	Class   string
	SiteKey string
}

// RegisterPasswordPage is the password registration form. Each field's
// error is shown next to it; Errors are about the whole form.
type RegisterPasswordPage struct {
	Common
	FormAction string
	// ServerName is the homeserver's name, for the Matrix ID the username
	// makes.
	ServerName    string
	Username      string
	Email         string
	EmailRequired bool
	// TermsURL is branding.tos_uri: the form then asks to accept it.
	TermsURL      string
	TermsAccepted bool
	// Captcha is set when captcha.service is configured.
	Captcha *Captcha

	UsernameError Message
	EmailError    Message
	PasswordError Message
	ConfirmError  Message
	TermsError    Message
	CaptchaError  Message
	Errors        []Message

	LoginLink  string
	ClientName string
}

// Sample returns representative values for Check.
func (RegisterPasswordPage) Sample() []RegisterPasswordPage {
	return []RegisterPasswordPage{
		{
			Common: sampleCommon(), FormAction: "/prefix/register/password", ServerName: "example.com",
			EmailRequired: true, LoginLink: "/prefix/login",
		},
		{
			Common: sampleCommon(), FormAction: "/prefix/register/password?id=01ARZ3NDEKTSV4RRFFQ69G5FAV&kind=continue_authorization_grant",
			ServerName: "example.com", Username: "Alice<b>", Email: "alice@example", TermsURL: "https://example.com/terms",
			Captcha:       &Captcha{ScriptURL: "https://challenges.cloudflare.com/turnstile/v0/api.js", Class: "cf-turnstile", SiteKey: "1x00000000000000000000AA"},
			UsernameError: Msg("register.error.username_invalid_chars"),
			EmailError:    Msg("register.error.email_invalid"),
			PasswordError: Msg("register.error.password_weak"),
			ConfirmError:  Msg("register.error.password_mismatch"),
			TermsError:    Msg("register.error.terms_required"),
			CaptchaError:  Msg("register.error.captcha_failed"),
			Errors:        []Message{Msg("register.error.rate_limited")},
			LoginLink:     "/prefix/login", ClientName: "Element",
		},
		{
			Common: sampleCommon(), FormAction: "/prefix/register/password", ServerName: "example.com",
			Username: "alice", Email: "alice@example.com", TermsURL: "https://example.com/terms", TermsAccepted: true,
			Errors: []Message{Msg("register.error.policy", "reason", "Requester [192.0.2.1] isn't allowed to do this action")},
		},
	}
}

// RegisterVerifyEmailPage asks for the code mailed to the address, and
// offers a new code or another address.
type RegisterVerifyEmailPage struct {
	Common
	// FormAction takes the code, a request for a new code (action=resend)
	// and another address (action=change_email).
	FormAction string
	Email      string
	Code       string
	CodeError  Message
	// Notice confirms a new code or a new address.
	Notice Message
	// Errors are about sending codes (too many).
	Errors        []Message
	NewEmail      string
	NewEmailError Message
}

// Sample returns representative values for Check.
func (RegisterVerifyEmailPage) Sample() []RegisterVerifyEmailPage {
	action := sampleRegistrationStep + "verify-email"
	return []RegisterVerifyEmailPage{
		{Common: sampleCommon(), FormAction: action, Email: "alice@example.com"},
		{
			Common: sampleCommon(), FormAction: action, Email: "<b>@example.com", Code: "12345",
			CodeError: Msg("register.error.code_wrong"), Notice: Msg("register.verify.resent", "email", "<b>@example.com"),
			Errors: []Message{Msg("register.error.codes_limited")}, NewEmail: "bob@",
			NewEmailError: Msg("register.error.email_invalid"),
		},
	}
}

// RegisterEmailInUsePage says that the verified address belongs to another
// account. It is shown only after the code proved the visitor owns the
// address, so it tells nothing to someone who merely typed it.
type RegisterEmailInUsePage struct {
	Common
	Email     string
	LoginLink string
	StartLink string
}

// Sample returns representative values for Check.
func (RegisterEmailInUsePage) Sample() []RegisterEmailInUsePage {
	return []RegisterEmailInUsePage{{
		Common: sampleCommon(), Email: "alice@example.com", LoginLink: "/prefix/login", StartLink: "/prefix/register",
	}}
}

// RegisterDisplayNamePage asks for the name others see; it may be skipped.
type RegisterDisplayNamePage struct {
	Common
	FormAction  string
	DisplayName string
	Error       Message
}

// Sample returns representative values for Check.
func (RegisterDisplayNamePage) Sample() []RegisterDisplayNamePage {
	action := sampleRegistrationStep + "display-name"
	return []RegisterDisplayNamePage{
		{Common: sampleCommon(), FormAction: action},
		{Common: sampleCommon(), FormAction: action, DisplayName: "   ", Error: Msg("register.error.display_name_required")},
	}
}

// RegisterTokenPage asks for the registration token the operator requires.
type RegisterTokenPage struct {
	Common
	FormAction string
	Token      string
	Error      Message
}

// Sample returns representative values for Check.
func (RegisterTokenPage) Sample() []RegisterTokenPage {
	action := sampleRegistrationStep + "token"
	return []RegisterTokenPage{
		{Common: sampleCommon(), FormAction: action},
		{Common: sampleCommon(), FormAction: action, Token: "<token>", Error: Msg("register.error.token_invalid")},
	}
}

// RegisterProblemPage ends a registration that cannot go on: registration
// is closed, the registration expired or is not this browser's, the
// username was taken meanwhile, the homeserver cannot be reached.
type RegisterProblemPage struct {
	Common
	Title Message
	Text  Message
	// StartLink starts a new registration; empty when registration is
	// closed. RetryLink tries the same step again.
	StartLink string
	RetryLink string
	LoginLink string
}

// Sample returns representative values for Check.
func (RegisterProblemPage) Sample() []RegisterProblemPage {
	return []RegisterProblemPage{
		{Common: sampleCommon(), Title: Msg("register.disabled.title"), Text: Msg("register.disabled.text"), LoginLink: "/prefix/login"},
		{
			Common: sampleCommon(), Title: Msg("register.problem.title"), Text: Msg("register.problem.username_taken", "username", "<alice>"),
			StartLink: "/prefix/register", RetryLink: sampleRegistrationStep + "finish", LoginLink: "/prefix/login",
		},
	}
}
