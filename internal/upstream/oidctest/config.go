package oidctest

import (
	"encoding/json"
	"maps"
)

// Config is what a provider starts with.
type Config struct {
	// Clients are registered at start.
	Clients []Client
	// Users can log in; nil means the provider's defaults (DefaultUsers for
	// Panva, the example's own test-user and test-user2 for Zitadel).
	Users []User
	// RequirePKCE refuses authorization requests without PKCE from every
	// client (Panva only; by default only public clients need it).
	RequirePKCE bool
	// ConformIDTokenClaims keeps the profile and email claims out of the
	// ID token of the code flow: they then come from userinfo alone, as
	// OpenID Connect Core 5.4 says and both providers do by default. Left
	// false, the ID token carries them too, as most real providers do.
	ConformIDTokenClaims bool
	// NoUserinfo turns the userinfo endpoint off (Panva only).
	NoUserinfo bool
	// BackchannelLogout turns back-channel logout on (Panva only): a
	// logout at the provider (Provider.Logout) posts a logout token to
	// each client's BackchannelLogoutURI.
	BackchannelLogout bool
	// ConsentForm shows an Allow/Deny page after the login instead of
	// granting by itself (Panva only; Login presses Allow).
	ConsentForm bool
}

// Client is a registered client.
type Client struct {
	ID     string
	Secret string // for client_secret_* methods
	// RedirectURIs are the allowed redirect URIs, matched exactly.
	RedirectURIs []string
	// AuthMethod is token_endpoint_auth_method: client_secret_basic (the
	// default), client_secret_post, client_secret_jwt, private_key_jwt or
	// none. Zitadel takes only the first two (and accepts both either way).
	AuthMethod string
	// JWKS is the client's public JSON Web Key Set, for private_key_jwt;
	// or JWKSURI, where the provider fetches it (Panva only).
	JWKS    json.RawMessage
	JWKSURI string
	// AuthSigningAlg is token_endpoint_auth_signing_alg (optional).
	AuthSigningAlg string
	// IDTokenSigningAlg is id_token_signed_response_alg: RS256 (the
	// default), PS256, ES256 or EdDSA. Zitadel signs with RS256 only.
	IDTokenSigningAlg string
	// BackchannelLogoutURI receives logout tokens (Panva with
	// Config.BackchannelLogout). The client's ID and logout tokens then
	// carry sid (backchannel_logout_session_required).
	BackchannelLogoutURI string
	// PostLogoutRedirectURIs are where a logout may return to.
	PostLogoutRedirectURIs []string
}

// User is an account at the provider. The provider gives its claims
// (Claims) for the scopes openid, profile and email.
type User struct {
	Subject    string // sub
	Username   string // preferred_username, and what the login form takes
	Password   string
	Name       string
	GivenName  string
	FamilyName string
	Email      string
	// EmailVerified is given as email_verified when Email is set (Zitadel
	// leaves a false email_verified out).
	EmailVerified bool
	// Extra holds further claims, given with the profile scope (Panva
	// only; Zitadel adds locale on its own).
	Extra map[string]any
}

// Claims are the claims the provider gives for the scopes openid, profile
// and email: in userinfo, and in the ID token too unless
// Config.ConformIDTokenClaims. Empty strings are left out.
func (u User) Claims() map[string]any {
	c := map[string]any{"sub": u.Subject}
	for k, v := range map[string]string{
		"preferred_username": u.Username, "name": u.Name,
		"given_name": u.GivenName, "family_name": u.FamilyName, "email": u.Email,
	} {
		if v != "" {
			c[k] = v
		}
	}
	if u.Email != "" {
		c["email_verified"] = u.EmailVerified
	}
	maps.Copy(c, u.Extra)
	return c
}

// The default users of Panva. Alice's address is verified, Bob's is not.
var (
	Alice = User{
		Subject: "sub-alice-0001", Username: "alice", Password: "alice-password",
		Name: "Alice Liddell", GivenName: "Alice", FamilyName: "Liddell",
		Email: "alice@example.com", EmailVerified: true,
	}
	Bob = User{
		Subject: "sub-bob-0002", Username: "bob", Password: "bob-password",
		Name: "Bob Marley", GivenName: "Bob", FamilyName: "Marley",
		Email: "bob@example.org", EmailVerified: false,
	}
)

// DefaultUsers are Alice and Bob.
func DefaultUsers() []User { return []User{Alice, Bob} }
