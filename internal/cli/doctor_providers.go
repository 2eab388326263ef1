package cli

import (
	"mas/internal/config"
	"mas/internal/doctor"
)

// doctorProviders lists the providers whose discovery document doctor
// fetches: enabled ones whose discovery is not disabled.
func doctorProviders(cfg *config.Config) []doctor.Provider {
	var out []doctor.Provider
	for _, p := range cfg.UpstreamOAuth2.Providers {
		if !p.Enabled || p.DiscoveryMode == config.DiscoveryDisabled {
			continue
		}
		out = append(out, doctor.Provider{
			ID:       p.ID,
			Name:     p.HumanName,
			Issuer:   p.Issuer,
			Insecure: p.DiscoveryMode == config.DiscoveryInsecure,
		})
	}
	return out
}
