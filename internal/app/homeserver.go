package app

import (
	"fmt"

	"mas/internal/config"
	"mas/internal/homeserver"
	"mas/internal/homeserver/standalone"
	"mas/internal/homeserver/synapse"
)

func homeserverConnection(cfg *config.Config) (homeserver.Connection, error) {
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
	})
	if err != nil {
		return nil, fmt.Errorf("matrix: %w", err)
	}
	return conn, nil
}
