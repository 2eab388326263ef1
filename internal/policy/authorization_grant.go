package policy

import (
	"slices"
	"strings"

	"mas/internal/domain"
)

// Grant types as the authorization_grant policy names them.
const (
	GrantTypeAuthorizationCode = "authorization_code"
	GrantTypeClientCredentials = "client_credentials"
	GrantTypeDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	GrantTypeTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange"
)

// User is the account a grant or login is for.
type User struct {
	ID              string
	Username        string
	CanRequestAdmin bool
}

// Client is the OAuth 2.0 client asking for a grant.
type Client struct {
	ID string
}

// SessionCounts is how many active sessions a user has, by kind.
type SessionCounts struct {
	Total    int64
	OAuth2   int64
	Compat   int64
	Personal int64
}

// AuthorizationGrantInput describes a grant about to be issued: at the
// consent screen (authorization code, device code) or at the token endpoint
// (client credentials).
type AuthorizationGrantInput struct {
	// User is nil for grants without a user (client credentials).
	User   *User
	Client Client
	// Scope is the space-separated requested scope.
	Scope     string
	GrantType string
	// SessionCounts is nil when no user logs in, which skips the session
	// limit.
	SessionCounts *SessionCounts
	Requester     Requester
}

const (
	prefixStable           = "urn:matrix:client:"
	prefixUnstable         = "urn:matrix:org.matrix.msc2967.client:"
	prefixAPIStable        = "urn:matrix:client:api:"
	prefixAPIUnstable      = "urn:matrix:org.matrix.msc2967.client:api:"
	minDeviceIDLength      = 10
	msgOneDeviceScope      = "only one device scope is allowed at a time"
	msgDeviceNeedsAPI      = "device scopes are only allowed when the client-server API scope is requested"
	msgMixedScopes         = "request cannot mix unstable and stable scopes"
	msgTokenExchangeDenied = "client is not allowed to use token exchange"
	msgTooManySessions     = "user has too many active sessions"
)

// AuthorizationGrant checks a grant's scopes, the client's right to
// token exchange, the requester and the user's session limit.
func (e *Engine) AuthorizationGrant(in AuthorizationGrantInput) []Violation {
	k := e.knobs()
	var vs violations
	scopes := strings.Split(in.Scope, " ")

	for _, s := range scopes {
		if !k.scopeAllowed(in, s) {
			vs.msg("scope '" + s + "' not allowed")
		}
	}

	if in.GrantType == GrantTypeTokenExchange && !slices.Contains(k.tokenExchangeClients, in.Client.ID) {
		vs.msg(msgTokenExchangeDenied)
	}

	// The same device scope asked twice is still one device.
	if countDistinct(scopes, domain.ScopeDevicePrefixUnstable) > 1 || countDistinct(scopes, domain.ScopeDevicePrefix) > 1 {
		vs.msg(msgOneDeviceScope)
	}
	hasDevice := anyPrefix(scopes, domain.ScopeDevicePrefix) || anyPrefix(scopes, domain.ScopeDevicePrefixUnstable)
	hasAPI := anyPrefix(scopes, prefixAPIStable) || anyPrefix(scopes, prefixAPIUnstable)
	if hasDevice && !hasAPI {
		vs.msg(msgDeviceNeedsAPI)
	}
	if anyPrefix(scopes, prefixStable) && anyPrefix(scopes, prefixUnstable) {
		vs.msg(msgMixedScopes)
	}

	k.requesterViolations(&vs, in.Requester)

	// OAuth 2.0 logins are interactive, so the soft limit applies: the user
	// can end sessions on the spot.
	if sl := k.sessionLimit; sl != nil && sl.soft != nil && in.SessionCounts != nil {
		total := in.SessionCounts.Total
		if sl.appliesTo(total) && *sl.soft <= total {
			vs.add(Violation{
				Msg:          msgTooManySessions,
				Code:         CodeTooManySessions,
				NeedToRemove: int(total - *sl.soft + 1), // room for the new session
			})
		}
	}
	return vs
}

func interactiveGrant(grantType string) bool {
	return grantType == GrantTypeAuthorizationCode || grantType == GrantTypeDeviceCode
}

func (k *knobs) canRequestAdmin(u *User) bool {
	return u != nil && (u.CanRequestAdmin || slices.Contains(k.adminUsers, u.Username))
}

func (k *knobs) scopeAllowed(in AuthorizationGrantInput, s string) bool {
	interactive := interactiveGrant(in.GrantType)
	switch s {
	case "", // an empty scope, or doubled spaces
		domain.ScopeOpenID, domain.ScopeEmail, domain.ScopeMASGraphQL:
		return true
	case domain.ScopeSynapseAdmin:
		// Synapse's admin API needs a user behind the token.
		return interactive && k.canRequestAdmin(in.User)
	case domain.ScopeMASAdmin:
		if interactive && k.canRequestAdmin(in.User) {
			return true
		}
		return in.GrantType == GrantTypeClientCredentials && slices.Contains(k.adminClients, in.Client.ID)
	case domain.ScopeMatrixAPI, domain.ScopeMatrixAPIUnstable:
		return interactive
	}
	if id, ok := strings.CutPrefix(s, domain.ScopeDevicePrefix); ok {
		return interactive && validDeviceID(id)
	}
	if id, ok := strings.CutPrefix(s, domain.ScopeDevicePrefixUnstable); ok {
		return interactive && validDeviceID(id)
	}
	return false
}

// validDeviceID accepts a device ID (domain.IsDeviceID) of at least ten
// characters.
func validDeviceID(id string) bool {
	return len(id) >= minDeviceIDLength && domain.IsDeviceID(id)
}

func anyPrefix(scopes []string, prefix string) bool {
	for _, s := range scopes {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func countDistinct(scopes []string, prefix string) int {
	seen := map[string]bool{}
	for _, s := range scopes {
		if strings.HasPrefix(s, prefix) {
			seen[s] = true
		}
	}
	return len(seen)
}

// CanRequestAdmin reports whether the user may hold admin scopes: the
// user's admin flag, or the username listed in the data's admin_users
// (without an engine, the flag alone).
func (e *Engine) CanRequestAdmin(u User) bool {
	if e == nil {
		return u.CanRequestAdmin
	}
	return e.knobs().canRequestAdmin(&u)
}
