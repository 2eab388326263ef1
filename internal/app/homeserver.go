package app

import (
	"fmt"
	"net/http"

	"mas/internal/config"
	"mas/internal/homeserver"
	"mas/internal/homeserver/standalone"
	"mas/internal/homeserver/synapse"
)

// homeserverConnection connects to the configured homeserver; client is
// the HTTP client for its calls (nil for the default).
func homeserverConnection(cfg *config.Config, client *http.Client) (homeserver.Connection, error) {
	secret, err := cfg.Matrix.SecretValue()
	if err != nil {
		return nil, err
	}
	if cfg.Matrix.Kind == config.HomeserverStandalone {
		return standalone.New(cfg.Matrix.Homeserver, secret), nil
	}
	conn, err := synapse.NewForKind(string(cfg.Matrix.Kind), synapse.Options{
		Endpoint:   cfg.Matrix.Endpoint,
		ServerName: cfg.Matrix.Homeserver,
		Secret:     secret,
		HTTPClient: client,
	})
	if err != nil {
		return nil, fmt.Errorf("matrix: %w", err)
	}
	return conn, nil
}
