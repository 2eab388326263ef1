package oauth

import (
	"mas/internal/domain"
	"mas/internal/templates"
)

// describeScopes puts each requested scope token into words for the
// consent pages. Tokens this service does not know are still listed, by
// name, so that nothing a client asks for is hidden from the user (the
// policy refuses them anyway).
func describeScopes(scope []string) []templates.Scope {
	out := make([]templates.Scope, 0, len(scope))
	for _, token := range scope {
		out = append(out, describeScope(token))
	}
	return out
}

func describeScope(token string) templates.Scope {
	s := templates.Scope{Token: token}
	switch token {
	case domain.ScopeOpenID:
		s.Text = "Confirm who you are: learn your Matrix ID"
	case domain.ScopeEmail:
		s.Text = "See your email address"
	case domain.ScopeMatrixAPI, domain.ScopeMatrixAPIUnstable:
		s.Text = "Use your Matrix account on your behalf: read and send messages, join rooms and change your settings"
	case domain.ScopeMASGraphQL:
		s.Text = "Manage your account details and sessions"
	case domain.ScopeSynapseAdmin:
		s.Text = "Administer the homeserver: manage every user, room and server setting, not just yours"
		s.Warning = true
	case domain.ScopeMASAdmin:
		s.Text = "Administer this authentication service: manage every account and session on it"
		s.Warning = true
	default:
		if id, ok := domain.DeviceID(token); ok {
			s.Text = "Sign in as device " + id + ", creating it if it does not exist yet"
		} else {
			s.Text = "Use the permission “" + token + "”, which this server does not describe"
		}
	}
	return s
}
