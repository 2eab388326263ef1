package cli

import (
	"testing"

	"mas/internal/config"
)

// doctor checks the discovery of enabled providers that use it, and skips
// disabled ones and those configured without discovery.
func TestDoctorProviders(t *testing.T) {
	cfg, err := config.Load([]string{testdata(t, "upstream-provider.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	cfg.UpstreamOAuth2.Providers[1].DiscoveryMode = config.DiscoveryInsecure
	// The third is disabled and has discovery disabled: either skips it.
	cfg.UpstreamOAuth2.Providers[2].Enabled = true
	off := cfg.UpstreamOAuth2.Providers[0]
	off.ID, off.Enabled = "01HFVBY12TMNTYTBV8W921M5FD", false
	cfg.UpstreamOAuth2.Providers = append(cfg.UpstreamOAuth2.Providers, off)
	got := doctorProviders(cfg)
	if len(got) != 2 || got[0].ID != "01HFVBY12TMNTYTBV8W921M5FA" || got[0].Name != "Example" ||
		got[0].Issuer != "https://example.com/" || got[0].Insecure || got[1].ID != "01HFVBY12TMNTYTBV8W921M5FB" || !got[1].Insecure {
		t.Errorf("doctor providers = %+v", got)
	}
}
