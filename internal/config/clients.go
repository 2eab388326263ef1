package config

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// ClientConfig is one entry of the top-level `clients` list: an OAuth 2.0
// client defined in the configuration and synced to the database.
type ClientConfig struct {
	ClientID         string           `yaml:"client_id" required:"true"`
	ClientAuthMethod ClientAuthMethod `yaml:"client_auth_method" required:"true"`
	ClientName       string           `yaml:"client_name,omitempty"`
	ClientURI        string           `yaml:"client_uri,omitempty"`
	// ClientSecretFile and ClientSecret are used by the client_secret_*
	// methods.
	ClientSecretFile string `yaml:"client_secret_file,omitempty"`
	ClientSecret     string `yaml:"client_secret,omitempty"`
	// JWKS or JWKSURI give the keys of a private_key_jwt client.
	JWKS         *JSONWebKeySet `yaml:"jwks,omitempty"`
	JWKSURI      string         `yaml:"jwks_uri,omitempty"`
	RedirectURIs []string       `yaml:"redirect_uris,omitempty"`
}

// ClientAuthMethod is how a client authenticates to the token endpoint.
type ClientAuthMethod string

const (
	AuthNone              ClientAuthMethod = "none"
	AuthClientSecretBasic ClientAuthMethod = "client_secret_basic"
	AuthClientSecretPost  ClientAuthMethod = "client_secret_post"
	AuthClientSecretJWT   ClientAuthMethod = "client_secret_jwt"
	AuthPrivateKeyJWT     ClientAuthMethod = "private_key_jwt"
)

func (ClientAuthMethod) enumValues() []string {
	return []string{"none", "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"}
}

// usesSecret tells whether the method needs a client secret.
func (m ClientAuthMethod) usesSecret() bool {
	return m == AuthClientSecretBasic || m == AuthClientSecretPost || m == AuthClientSecretJWT
}

// SecretValue returns the client secret, or "" when the client has none.
func (c *ClientConfig) SecretValue() (string, error) {
	return secretValue("clients["+c.ClientID+"]", "client_secret", c.ClientSecret, c.ClientSecretFile)
}

// JSONWebKeySet is a public JWK set given inline. Keys are kept as parsed
// maps, so every JWK parameter survives; use JSON to hand them to a JOSE
// library.
type JSONWebKeySet struct {
	Keys []map[string]any `yaml:"keys" required:"true"`
}

// JSON renders the key set as a JWKS document.
func (s *JSONWebKeySet) JSON() ([]byte, error) {
	keys := s.Keys
	if keys == nil {
		keys = []map[string]any{}
	}
	return json.Marshal(map[string]any{"keys": keys})
}

func validateClients(v *validator, clients []ClientConfig) {
	ids := map[string]int{}
	for i := range clients {
		c := &clients[i]
		p := indexPath("clients", i)
		v.ulid(joinPath(p, "client_id"), c.ClientID)
		if first, dup := ids[strings.ToUpper(c.ClientID)]; dup && c.ClientID != "" {
			v.add(joinPath(p, "client_id"), "duplicate client_id (also used by clients[%d])", first)
		} else {
			ids[strings.ToUpper(c.ClientID)] = i
		}
		c.validate(v, p)
	}
}

func (c *ClientConfig) validate(v *validator, p string) {
	hasSecret := c.ClientSecret != "" || c.ClientSecretFile != ""
	v.atMostOne(p, "client_secret", c.ClientSecret, c.ClientSecretFile)
	m := c.ClientAuthMethod
	switch {
	case m == "":
		v.add(joinPath(p, "client_auth_method"), "required")
	case m == AuthPrivateKeyJWT:
		switch {
		case c.JWKS == nil && c.JWKSURI == "":
			v.add(joinPath(p, "client_auth_method"), "jwks or jwks_uri is required for private_key_jwt")
		case c.JWKS != nil && c.JWKSURI != "":
			v.add(joinPath(p, "jwks"), "jwks and jwks_uri are mutually exclusive")
		}
		if hasSecret {
			v.add(joinPath(p, "client_secret"), "client_secret is not allowed with private_key_jwt")
		}
	case m.usesSecret():
		if !hasSecret {
			v.add(joinPath(p, "client_auth_method"), "client_secret (or client_secret_file) is required for %s", m)
		}
		if c.JWKS != nil {
			v.add(joinPath(p, "jwks"), "jwks is not allowed with %s", m)
		}
		if c.JWKSURI != "" {
			v.add(joinPath(p, "jwks_uri"), "jwks_uri is not allowed with %s", m)
		}
	case m == AuthNone:
		if hasSecret {
			v.add(joinPath(p, "client_secret"), "client_secret is not allowed with none authentication method")
		}
		if c.JWKS != nil {
			v.add(joinPath(p, "jwks"), "jwks is not allowed with none authentication method")
		}
		if c.JWKSURI != "" {
			v.add(joinPath(p, "jwks_uri"), "jwks_uri is not allowed with none authentication method")
		}
	}
	v.absoluteURL(joinPath(p, "client_uri"), c.ClientURI)
	v.absoluteURL(joinPath(p, "jwks_uri"), c.JWKSURI)
	for i, u := range c.RedirectURIs {
		v.requiredURL(indexPath(joinPath(p, "redirect_uris"), i), u)
	}
	if c.JWKS != nil {
		validateJWKS(v, joinPath(p, "jwks"), c.JWKS)
	}
}

// jwkRequired lists the public parameters each key type must carry.
var jwkRequired = map[string][]string{
	"RSA": {"n", "e"},
	"EC":  {"crv", "x", "y"},
	"OKP": {"crv", "x"},
}

var (
	jwkCurves   = map[string][]string{"EC": {"P-256", "P-384", "P-521", "secp256k1"}, "OKP": {"Ed25519", "Ed448", "X25519", "X448"}}
	jwkUses     = []string{"sig", "enc"}
	jwkKeyOps   = []string{"sign", "verify", "encrypt", "decrypt", "wrapKey", "unwrapKey", "deriveKey", "deriveBits"}
	jwkStringly = []string{"kid", "x5u", "x5t", "x5t#S256", "n", "e", "x", "y", "crv", "kty", "use", "alg"}
)

func validateJWKS(v *validator, p string, s *JSONWebKeySet) {
	for i, key := range s.Keys {
		kp := indexPath(joinPath(p, "keys"), i)
		for _, name := range jwkStringly {
			if val, ok := key[name]; ok {
				if _, isString := val.(string); !isString && val != nil {
					v.add(joinPath(kp, name), "expected a string")
				}
			}
		}
		kty, _ := key["kty"].(string)
		required, known := jwkRequired[kty]
		if !known {
			v.add(joinPath(kp, "kty"), "expected one of: RSA, EC, OKP (found %q)", kty)
			continue
		}
		for _, name := range required {
			if s, _ := key[name].(string); s == "" {
				v.add(joinPath(kp, name), "required for %s keys", kty)
			}
		}
		if crv, _ := key["crv"].(string); crv != "" && !slices.Contains(jwkCurves[kty], crv) {
			v.add(joinPath(kp, "crv"), "unknown curve %q for %s keys", crv, kty)
		}
		if use, ok := key["use"].(string); ok && !slices.Contains(jwkUses, use) {
			v.add(joinPath(kp, "use"), "expected one of: %s", strings.Join(jwkUses, ", "))
		}
		if alg, ok := key["alg"].(string); ok && !slices.Contains(JWSAlgorithm("").enumValues(), alg) {
			v.add(joinPath(kp, "alg"), "unknown algorithm %q", alg)
		}
		if ops, ok := key["key_ops"]; ok && ops != nil {
			list, isList := ops.([]any)
			if !isList {
				v.add(joinPath(kp, "key_ops"), "expected a sequence")
			}
			for j, op := range list {
				if s, _ := op.(string); !slices.Contains(jwkKeyOps, s) {
					v.add(indexPath(joinPath(kp, "key_ops"), j), "unknown key operation %v", fmt.Sprint(op))
				}
			}
		}
		if x5c, ok := key["x5c"]; ok {
			if _, isList := x5c.([]any); !isList {
				v.add(joinPath(kp, "x5c"), "expected a sequence of strings")
			}
		}
	}
}
