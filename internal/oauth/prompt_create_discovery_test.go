package oauth

import (
	"encoding/json"
	"slices"
	"testing"

	"mas/internal/routes"
)

// TestDiscoveryAdvertisesCreateWhenRegistrationIsOpen: prompt=create is
// advertised exactly when it leads somewhere.
func TestDiscoveryAdvertisesCreateWhenRegistrationIsOpen(t *testing.T) {
	for _, open := range []bool{false, true} {
		e := newRegEnv(t)
		e.h.Settings.RegistrationEnabled = open
		var md struct {
			Prompts []string `json:"prompt_values_supported"`
		}
		if err := json.Unmarshal(e.get(routes.OIDCDiscovery).body, &md); err != nil {
			t.Fatal(err)
		}
		want := []string{"login"}
		if open {
			want = append(want, "create")
		}
		if !slices.Equal(md.Prompts, want) {
			t.Errorf("registration open %v: prompt_values_supported %v, want %v", open, md.Prompts, want)
		}
	}
}
