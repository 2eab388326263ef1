package config

// MatrixConfig is the `matrix` section: how to reach the homeserver.
type MatrixConfig struct {
	Kind HomeserverKind `yaml:"kind,omitempty"`
	// Homeserver is the server name, the part after the colon in user IDs.
	Homeserver string `yaml:"homeserver"`
	// Secret authenticates MAS to the homeserver and the homeserver to MAS.
	Secret     string `yaml:"secret,omitempty"`
	SecretFile string `yaml:"secret_file,omitempty"`
	// Endpoint is the homeserver's base URL as seen from MAS.
	Endpoint string `yaml:"endpoint"`
}

// HomeserverKind selects the homeserver API flavour.
type HomeserverKind string

const (
	HomeserverSynapse         HomeserverKind = "synapse"
	HomeserverSynapseReadOnly HomeserverKind = "synapse_read_only"
	HomeserverSynapseLegacy   HomeserverKind = "synapse_legacy"
	HomeserverSynapseModern   HomeserverKind = "synapse_modern"
	// HomeserverStandalone is this implementation's extension for trying
	// the service without a homeserver: nothing is provisioned anywhere.
	// It must be chosen explicitly and is announced at every start.
	HomeserverStandalone HomeserverKind = "standalone"
)

func (HomeserverKind) enumValues() []string {
	return []string{"synapse", "synapse_read_only", "synapse_legacy", "synapse_modern", "standalone"}
}

func (m *MatrixConfig) setDefaults() {
	*m = MatrixConfig{
		Kind:       HomeserverSynapse,
		Homeserver: "localhost:8008",
		Endpoint:   "http://localhost:8008/",
	}
}

// SecretValue returns the shared secret; a secret file is trimmed.
func (m *MatrixConfig) SecretValue() (string, error) {
	s, err := secretValue("matrix", "secret", m.Secret, m.SecretFile)
	if err == nil && s == "" {
		err = pathErr("matrix", "Missing `secret` or `secret_file`")
	}
	return s, err
}

func (m *MatrixConfig) validate(v *validator) {
	v.exactlyOne("matrix", "secret", m.Secret, m.SecretFile)
	if m.Homeserver == "" {
		v.add("matrix.homeserver", "required")
	}
	v.httpURL("matrix.endpoint", m.Endpoint)
}
