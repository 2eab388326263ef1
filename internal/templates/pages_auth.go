package templates

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/netip"
	"net/url"
	"strings"
)

// Names of the login, consent and device pages.
const (
	PageIndex           = "pages/index.html"
	PageLogin           = "pages/login.html"
	PageAccountLocked   = "pages/account/locked.html"
	PageConsent         = "pages/consent.html"
	PagePolicyViolation = "pages/policy_violation.html"
	PageDeviceLink      = "pages/device_link.html"
	PageDeviceConsent   = "pages/device_consent.html"
	// PageFormPost is the response_mode=form_post page. It sits beside
	// base.html, as upstream's does, and has no layout of its own.
	PageFormPost = "form_post.html"
)

// IndexPage is the start page.
type IndexPage struct {
	Common
	// MXID is the logged-in user's Matrix ID; empty when nobody is.
	MXID string
	// RegisterLink is set when registration is open (signed out only).
	RegisterLink string
}

// Sample returns representative values for Check.
func (IndexPage) Sample() []IndexPage {
	return []IndexPage{
		{Common: sampleCommon()},
		{Common: sampleCommon(), RegisterLink: "/prefix/register"},
		{Common: sampleCommon(), MXID: "@alice:example.com"},
	}
}

// LoginPage is the password login form.
type LoginPage struct {
	Common
	// FormAction is where the form posts: the login route with the
	// post-authentication action in its query.
	FormAction string
	// PasswordLoginEnabled is false when passwords.enabled is off; the page
	// then says there is no way to log in here.
	PasswordLoginEnabled bool
	// ServerName is the homeserver's name (matrix.homeserver), shown in
	// the heading: the account being signed in to is on it.
	ServerName string
	// LoginWithEmail is account.login_with_email_allowed: the username
	// field also takes a confirmed email address.
	LoginWithEmail bool
	// Username pre-fills the username field (login_hint, or the previous
	// attempt).
	Username string
	// Error is shown above the form; it never says which field was wrong
	// (wrong credentials, too many attempts).
	Error Message
	// UsernameError and PasswordError are shown next to their field (a
	// field left empty).
	UsernameError Message
	PasswordError Message
	// ClientName names the application the user is logging in to, when
	// the login continues an authorization.
	ClientName string
	// RegisterLink is set when registration is open; it keeps the
	// post-authentication action.
	RegisterLink string
	// RecoverLink is set when password recovery is enabled.
	RecoverLink string
	// Providers are the enabled upstream providers, in their configured
	// order: below the password form, or alone without passwords.
	Providers []ProviderButton
}

// Sample returns representative values for Check.
func (LoginPage) Sample() []LoginPage {
	return []LoginPage{
		{Common: sampleCommon(), FormAction: "/prefix/login", PasswordLoginEnabled: true, ServerName: "example.com"},
		{
			Common:               sampleCommon(),
			FormAction:           "/prefix/login?id=01ARZ3NDEKTSV4RRFFQ69G5FAV&kind=continue_authorization_grant",
			PasswordLoginEnabled: true,
			ServerName:           "example.com",
			LoginWithEmail:       true,
			Username:             "alice",
			Error:                Msg("login.error.invalid_credentials"),
			ClientName:           "Element <beta>",
			RegisterLink:         "/prefix/register?id=01ARZ3NDEKTSV4RRFFQ69G5FAV&kind=continue_authorization_grant",
			RecoverLink:          "/prefix/recover",
		},
		{
			Common: sampleCommon(), FormAction: "/prefix/login", PasswordLoginEnabled: true, ServerName: "example.com",
			PasswordError: Msg("login.error.password_missing"), Username: "alice",
		},
		{Common: sampleCommon(), FormAction: "/prefix/login", ServerName: "example.com"},
		{
			Common: sampleCommon(), FormAction: "/prefix/login?id=01ARZ3NDEKTSV4RRFFQ69G5FAV&kind=continue_authorization_grant",
			PasswordLoginEnabled: true, ServerName: "example.com", RecoverLink: "/prefix/recover",
			Providers: sampleProviders("?id=01ARZ3NDEKTSV4RRFFQ69G5FAV&kind=continue_authorization_grant"),
		},
		{Common: sampleCommon(), FormAction: "/prefix/login", ServerName: "example.com", Providers: sampleProviders("")[:2]},
	}
}

// AccountLockedPage tells a user with a correct password that the account
// is locked.
type AccountLockedPage struct {
	Common
	MXID string
}

// Sample returns representative values for Check.
func (AccountLockedPage) Sample() []AccountLockedPage {
	return []AccountLockedPage{{Common: sampleCommon(), MXID: "@mallory:example.com"}}
}

// ClientInfo is what pages show about an OAuth 2.0 client. URLs are plain
// strings: html/template neutralises any that are not http(s).
type ClientInfo struct {
	Name      string
	LogoURI   string
	ClientURI string
	PolicyURI string
	TOSURI    string
	// RedirectHost is where the user will be sent back to, shown so that a
	// look-alike client name cannot hide its destination.
	RedirectHost string
}

// Scope is one requested permission, in words.
type Scope struct {
	// Token is the raw scope, for the curious.
	Token string
	// Text describes what the permission allows.
	Text Message
	// Warning marks powerful permissions (administration).
	Warning bool
}

// ConsentPage asks the user to allow a client access.
type ConsentPage struct {
	Common
	Client     ClientInfo
	Scopes     []Scope
	MXID       string
	FormAction string
}

func sampleClient() ClientInfo {
	return ClientInfo{
		Name:         "Element",
		LogoURI:      "https://element.example/logo.png",
		ClientURI:    "https://element.example/",
		PolicyURI:    "https://element.example/privacy",
		TOSURI:       "https://element.example/terms",
		RedirectHost: "element.example",
	}
}

func sampleScopes() []Scope {
	return []Scope{
		{Token: "openid", Text: Msg("scope.openid")},
		{Token: "urn:matrix:client:api:*", Text: Msg("scope.matrix_api")},
		{Token: "urn:matrix:client:device:ABCDEFGHIJ", Text: Msg("scope.device", "device", "ABCDEFGHIJ")},
		{Token: "urn:synapse:admin:*", Text: Msg("scope.synapse_admin"), Warning: true},
	}
}

// Sample returns representative values for Check.
func (ConsentPage) Sample() []ConsentPage {
	return []ConsentPage{
		{
			Common: sampleCommon(), Client: sampleClient(), Scopes: sampleScopes(),
			MXID: "@alice:example.com", FormAction: "/prefix/consent/01ARZ3NDEKTSV4RRFFQ69G5FAV",
		},
		{
			Common: sampleCommon(), Client: ClientInfo{Name: "", LogoURI: "javascript:alert(1)", RedirectHost: "localhost"},
			MXID: "@bob:example.com", FormAction: "/prefix/consent/01ARZ3NDEKTSV4RRFFQ69G5FAV",
		},
	}
}

// PolicyViolationPage explains why the server refused a grant.
type PolicyViolationPage struct {
	Common
	Client     ClientInfo
	MXID       string
	Violations []string
	// TooManySessions is set when the user can fix the refusal by ending
	// sessions (the session limit); the page then links to the account.
	TooManySessions bool
}

// Sample returns representative values for Check.
func (PolicyViolationPage) Sample() []PolicyViolationPage {
	return []PolicyViolationPage{
		{
			Common: sampleCommon(), Client: sampleClient(), MXID: "@alice:example.com",
			Violations: []string{"scope 'urn:synapse:admin:*' not allowed"},
		},
		{
			Common: sampleCommon(), Client: sampleClient(), MXID: "@alice:example.com",
			Violations: []string{"user has too many active sessions"}, TooManySessions: true,
		},
	}
}

// DeviceLinkPage asks for the code a device shows.
type DeviceLinkPage struct {
	Common
	FormAction string
	Code       string
	// Error is shown next to the code field.
	Error Message
}

// Sample returns representative values for Check.
func (DeviceLinkPage) Sample() []DeviceLinkPage {
	return []DeviceLinkPage{
		{Common: sampleCommon(), FormAction: "/prefix/link"},
		{Common: sampleCommon(), FormAction: "/prefix/link", Code: "ABC123", Error: Msg("device_link.error.unknown_code")},
	}
}

// States of the device consent page.
const (
	DeviceStatePending  = "pending"
	DeviceStateApproved = "approved"
	DeviceStateRejected = "rejected"
	DeviceStateExpired  = "expired"
	DeviceStateUsed     = "used"
)

// DeviceConsentPage asks the user to let a device in, and reports the
// outcome.
type DeviceConsentPage struct {
	Common
	// State is one of the DeviceState constants.
	State  string
	Client ClientInfo
	Scopes []Scope
	MXID   string
	// The request's origin, so the user can spot a code phished from
	// someone else's device.
	RequestedFromIP string
	RequestedFromUA string
	RequestedAt     string
	UserCode        string
	FormAction      string
}

// Sample returns representative values for Check.
func (DeviceConsentPage) Sample() []DeviceConsentPage {
	client := sampleClient()
	client.RedirectHost = "" // a device is not redirected anywhere
	pending := DeviceConsentPage{
		Common: sampleCommon(), State: DeviceStatePending, Client: client, Scopes: sampleScopes(),
		MXID: "@alice:example.com", RequestedFromIP: "192.0.2.1", RequestedFromUA: "ElementX/1.0 (TV)",
		RequestedAt: "2026-01-02 03:04 UTC", UserCode: "ABC123",
		FormAction: "/prefix/device/01ARZ3NDEKTSV4RRFFQ69G5FAV",
	}
	out := []DeviceConsentPage{pending}
	for _, s := range []string{DeviceStateApproved, DeviceStateRejected, DeviceStateExpired, DeviceStateUsed} {
		p := pending
		p.State = s
		out = append(out, p)
	}
	return out
}

// FormPostField is one hidden field of the form_post page.
type FormPostField struct {
	Name  string
	Value string
}

// FormPostPage hands the authorization response to the client by POST
// (OAuth 2.0 Form Post Response Mode).
type FormPostPage struct {
	Common
	// Action is the client's redirect URI. It is a template.URL because
	// native clients register private-use schemes that html/template
	// would otherwise neutralise; the handler vouches for it (it is an
	// exactly registered redirect URI, never javascript: or data:).
	Action     template.URL
	Fields     []FormPostField
	ClientName string
}

// formPostScript submits the form as soon as the page has loaded. It lives
// here rather than in the template so that the page's Content-Security-Policy
// can allow exactly this script by its hash: the template prints it with
// {{.Script}}, and the two cannot drift apart. An override of form_post.html
// that writes a script of its own gets that script blocked.
const formPostScript = "document.forms[0].submit();"

// formPostScriptSource is the CSP source expression allowing formPostScript.
var formPostScriptSource = func() string {
	sum := sha256.Sum256([]byte(formPostScript))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

// Script is the page's only script, for the template.
func (FormPostPage) Script() template.JS { return formPostScript }

// ContentSecurityPolicy is the policy to serve the page with, replacing the
// one every other page gets: its own script and nothing else may run, and
// its form may only be sent to us and to the client's redirect URI.
func (p FormPostPage) ContentSecurityPolicy() string {
	formAction := "'self'"
	if src := formActionSource(string(p.Action)); src != "" {
		formAction += " " + src
	}
	return "default-src 'none'; script-src " + formPostScriptSource +
		"; form-action " + formAction + "; frame-ancestors 'none'; base-uri 'none'"
}

// formActionSource is the narrowest CSP source expression that matches the
// redirect URI action: its origin when that is an http(s) host name, the
// bare scheme otherwise. CSP host sources match host names only (never IP
// literals, so not a native app's loopback redirect URI either), and a
// native app's private-use scheme has no host at all. The URI comes from a
// client registration, so anything that is not plainly a host name or a
// port must not reach the header, where ";" or "," would start another
// directive or policy.
func formActionSource(action string) string {
	u, err := url.Parse(action)
	if err != nil || u.Scheme == "" {
		return ""
	}
	// url.Parse accepts only letters, digits, "+", "-" and "." in a scheme.
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return scheme + ":"
	}
	host, port := u.Hostname(), u.Port()
	if !cspHostName(host) {
		return scheme + ":"
	}
	src := scheme + "://" + strings.ToLower(host)
	if port != "" {
		// url.Parse has checked that the port is all digits.
		src += ":" + port
	}
	return src
}

// cspHostName reports whether host is a DNS name a CSP host source can
// express: dot-separated labels of letters, digits and hyphens.
func cspHostName(host string) bool {
	if host == "" {
		return false
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return false
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// Sample returns representative values for Check.
func (FormPostPage) Sample() []FormPostPage {
	return []FormPostPage{
		{
			Common: sampleCommon(), Action: "https://client.example/callback?x=1",
			Fields: []FormPostField{{"code", "abc"}, {"state", `"><script>`}}, ClientName: "Client",
		},
		{Common: sampleCommon(), Action: "com.example.app:/callback", Fields: []FormPostField{{"error", "access_denied"}}},
	}
}
