package config

// TLSConfig is a listener's `tls`: a certificate chain and private key, each
// inline (PEM) or from a file (PEM or DER for the key).
type TLSConfig struct {
	Certificate     string `yaml:"certificate,omitempty"`
	CertificateFile string `yaml:"certificate_file,omitempty"`
	Key             string `yaml:"key,omitempty"`
	KeyFile         string `yaml:"key_file,omitempty"`
	// Password decrypts an encrypted private key.
	Password     string `yaml:"password,omitempty"`
	PasswordFile string `yaml:"password_file,omitempty"`
}

// CertificateBytes returns the certificate chain. path is the config path of
// this TLS block, used in errors (for example "http.listeners[0].tls").
func (t *TLSConfig) CertificateBytes(path string) ([]byte, error) {
	return bytesValue(path, "certificate", t.Certificate, t.CertificateFile)
}

// KeyBytes returns the private key (PEM, or DER when read from a file).
func (t *TLSConfig) KeyBytes(path string) ([]byte, error) {
	return bytesValue(path, "key", t.Key, t.KeyFile)
}

// PasswordValue returns the key password, or "" when there is none.
func (t *TLSConfig) PasswordValue(path string) (string, error) {
	return secretValue(path, "password", t.Password, t.PasswordFile)
}
