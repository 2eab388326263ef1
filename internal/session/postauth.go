package session

import (
	"net/url"

	"mas/internal/domain"
	"mas/internal/routes"
)

// Kinds of PostAuthAction, as upstream encodes them in the `kind` query
// parameter.
const (
	KindContinueAuthorizationGrant = "continue_authorization_grant"
	KindContinueDeviceCodeGrant    = "continue_device_code_grant"
	KindContinueCompatSSOLogin     = "continue_compat_sso_login"
	KindChangePassword             = "change_password"
	KindLinkUpstream               = "link_upstream"
	KindManageAccount              = "manage_account"
)

// manageAccountParams are the query parameters a manage_account action
// passes on to the account page (MSC4191 deep links).
var manageAccountParams = []string{"action", "device_id"}

// PostAuthAction is where a user goes once logged in (or registered): the
// page that sent them to log in. It travels in the query string of /login,
// /register and friends, so it is parsed strictly: only known kinds with
// well-formed IDs, which makes every target a path of this service and the
// login page no open redirector.
type PostAuthAction struct {
	Kind string
	// ID is the grant, login or link the action continues; zero for kinds
	// without one.
	ID domain.ID
	// Params carries manage_account's deep-link parameters.
	Params url.Values
}

// ContinueAuthorizationGrant returns the action that resumes /authorize.
func ContinueAuthorizationGrant(id domain.ID) PostAuthAction {
	return PostAuthAction{Kind: KindContinueAuthorizationGrant, ID: id}
}

// ContinueDeviceCodeGrant returns the action that resumes a device login.
func ContinueDeviceCodeGrant(id domain.ID) PostAuthAction {
	return PostAuthAction{Kind: KindContinueDeviceCodeGrant, ID: id}
}

// ParsePostAuthAction reads an action from a query string. It returns nil
// when there is none or when it is malformed (unknown kind, missing or
// invalid id): the user then simply lands on the start page.
func ParsePostAuthAction(q url.Values) *PostAuthAction {
	kind := q.Get("kind")
	a := &PostAuthAction{Kind: kind}
	switch kind {
	case KindContinueAuthorizationGrant, KindContinueDeviceCodeGrant, KindContinueCompatSSOLogin, KindLinkUpstream:
		id, err := domain.ParseID(q.Get("id"))
		if err != nil {
			return nil
		}
		a.ID = id
	case KindChangePassword:
	case KindManageAccount:
		for _, p := range manageAccountParams {
			if v := q.Get(p); v != "" {
				if a.Params == nil {
					a.Params = url.Values{}
				}
				a.Params.Set(p, v)
			}
		}
	default:
		return nil
	}
	return a
}

// Query encodes the action for a query string; a nil action encodes as
// nothing.
func (a *PostAuthAction) Query() url.Values {
	if a == nil {
		return url.Values{}
	}
	q := url.Values{"kind": {a.Kind}}
	if a.ID != domain.ZeroID {
		q.Set("id", a.ID.String())
	}
	for k, v := range a.Params {
		q[k] = append([]string(nil), v...)
	}
	return q
}

// Target is the route path (without the public base's path) that carries
// out the action; the start page for a nil action.
func (a *PostAuthAction) Target() string {
	if a == nil {
		return routes.Index
	}
	id := a.ID.String()
	switch a.Kind {
	case KindContinueAuthorizationGrant:
		return routes.Consent(id)
	case KindContinueDeviceCodeGrant:
		return routes.DeviceConsent(id)
	case KindContinueCompatSSOLogin:
		return routes.CompleteCompatSSO(id)
	case KindLinkUpstream:
		return routes.UpstreamLink(id)
	case KindChangePassword:
		return routes.AccountPasswordChange
	case KindManageAccount:
		return routes.WithQuery(routes.Account, a.Params)
	default:
		return routes.Index
	}
}
