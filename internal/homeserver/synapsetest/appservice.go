package synapsetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
)

// appServiceFile is the registration of Options.AppService in the
// instance folder.
const appServiceFile = "appservice.yaml"

// appServiceRegistration is the registration file of Options.AppService:
// no URL (Synapse sends it nothing), its users exclusively its own.
func (s *Synapse) appServiceRegistration() (string, error) {
	id := s.opts.AppService
	b, err := json.MarshalIndent(map[string]any{
		"id":               id,
		"url":              nil,
		"as_token":         s.asToken,
		"hs_token":         s.hsToken,
		"sender_localpart": id + "_bot",
		"rate_limited":     false,
		"namespaces": map[string]any{
			"users": []any{map[string]any{
				"exclusive": true,
				"regex":     "@" + regexp.QuoteMeta(id) + "_.*:" + regexp.QuoteMeta(s.ServerName),
			}},
			"aliases": []any{},
			"rooms":   []any{},
		},
	}, "", "  ")
	return string(b), err
}

// RegisterAppServiceUser registers a user of the application service
// (Options.AppService; the localpart must start with its id and "_"), as
// a bridge does in Legacy mode, and returns its access token.
func (s *Synapse) RegisterAppServiceUser(ctx context.Context, localpart string) (token string, err error) {
	if s.opts.AppService == "" {
		return "", fmt.Errorf("synapsetest: %s has no application service (Options.AppService)", s.opts)
	}
	resp, err := s.Do(ctx, http.MethodPost, "/_matrix/client/v3/register", s.asToken, map[string]any{
		"type": "m.login.application_service", "username": localpart,
	})
	if err != nil {
		return "", err
	}
	token, _ = resp.Body["access_token"].(string)
	if resp.Status != http.StatusOK || token == "" {
		return "", fmt.Errorf("registering %s for the application service: %s", localpart, resp)
	}
	return token, nil
}
