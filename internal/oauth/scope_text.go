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
		s.Text = templates.Msg("scope.openid")
	case domain.ScopeEmail:
		s.Text = templates.Msg("scope.email")
	case domain.ScopeMatrixAPI, domain.ScopeMatrixAPIUnstable:
		s.Text = templates.Msg("scope.matrix_api")
	case domain.ScopeMASGraphQL:
		s.Text = templates.Msg("scope.mas_graphql")
	case domain.ScopeSynapseAdmin:
		s.Text = templates.Msg("scope.synapse_admin")
		s.Warning = true
	case domain.ScopeMASAdmin:
		s.Text = templates.Msg("scope.mas_admin")
		s.Warning = true
	default:
		if id, ok := domain.DeviceID(token); ok {
			s.Text = templates.Msg("scope.device", "device", id)
		} else {
			s.Text = templates.Msg("scope.unknown", "scope", token)
		}
	}
	return s
}
