// Package oidc is the relying-party side of logging in with an upstream
// OAuth 2.0 / OpenID Connect provider (upstream_oauth2.providers[]). It is
// the only code of the service that speaks to those providers; the login
// pages drive it, and it knows nothing of pages, sessions or storage.
//
// # Use
//
// Build one Provider per configured provider, once, and keep it (it caches
// the metadata and the provider's keys):
//
//	p, err := oidc.New(oidc.Options{ID: ..., Issuer: ..., ClientID: ...,
//		TokenEndpointAuthMethod: oidc.AuthClientSecretBasic, ClientSecret: ...,
//		Keys: keySet, HTTPClient: shared, Clock: clk})
//
// New contacts nobody and fails (KindConfig) on a configuration that
// cannot work. NewHTTPClient gives the client to share between providers.
//
// The login is three calls:
//
//  1. AuthorizationURL(ctx, redirectURI, extra) returns the provider URL to
//     redirect the browser to and a Session (state, nonce, PKCE verifier,
//     redirect URI) to keep until the callback. extra carries the rendered
//     additional_authorization_parameters and login_hint; they never
//     replace a protocol parameter (IsProtocolParameter).
//  2. At the callback, ParseCallback(values) reads the query, or the form
//     body when ResponseMode() is form_post, and returns the state, the
//     code and the other parameters (Callback.Params, for the templates).
//     The caller finds the Session by state and compares the state in
//     constant time.
//  3. Exchange(ctx, session, code) redeems the code, validates the ID
//     token, fetches userinfo when configured and returns a Result: the
//     raw ID token, its claims, the userinfo and the subject. The claims
//     package merges the claims into the mapping templates' `user`
//     (claims.Claims.User).
//
// ValidateLogoutToken(ctx, token) checks a back-channel logout token and
// returns its sub and sid. Metadata(ctx) exposes the resolved endpoints
// (for RP-initiated logout, or a configuration check).
//
// # Discovery
//
// discovery_mode oidc fetches <issuer>/.well-known/openid-configuration
// (a trailing slash of the issuer dropped) and applies upstream's strict
// checks:
//   - issuer, authorization_endpoint, token_endpoint, jwks_uri,
//     response_types_supported, subject_types_supported and
//     id_token_signing_alg_values_supported are present;
//   - the issuer equals the configured issuer exactly (no slash added or
//     removed);
//   - every endpoint URL in the document uses https, loopback hosts
//     included (upstream makes no exception: use insecure for a
//     plain-http test provider); the issuer has no query or fragment, the
//     authorization, token and revocation endpoints no fragment;
//   - scopes_supported, when present, contains openid;
//   - no *_endpoint_auth_signing_alg_values_supported lists none, and
//     each is present when its endpoint offers client_secret_jwt or
//     private_key_jwt;
//   - and two checks of ours: response_types_supported contains code, and
//     id_token_signing_alg_values_supported contains the configured
//     id_token_signed_response_alg (with the openid scope).
//
// insecure fetches the document and checks none of that: it only
// requires the endpoints that will be used, from the document or an
// override (upstream also insists on the required fields, so this accepts
// more). disabled fetches nothing: the endpoint options must name every
// endpoint that will be used (New checks; jwks_uri is not needed without
// the openid scope). The endpoint options override discovery in every
// mode.
//
// Metadata is cached for an hour and a failed fetch for 30 seconds; the
// last good metadata is served meanwhile. The JWK Set is cached likewise,
// and fetched again once when a token names a key it lacks (at most every
// 10 seconds), so that a key rotation is picked up.
//
// # Client authentication
//
// none sends client_id; client_secret_basic sends the form-encoded id and
// secret as HTTP Basic credentials (RFC 6749 §2.3.1); client_secret_post
// sends both in the body; client_secret_jwt and private_key_jwt send a
// client assertion (iss and sub the client_id, aud the token endpoint,
// jti, iat, exp five minutes on), signed with the secret (HS256 by
// default) or with our own key from secrets.keys (its kid in the header);
// sign_in_with_apple sends client_id and, as client_secret, Apple's ES256
// JWT (iss the team id, sub the client_id, aud https://appleid.apple.com,
// kid the key id, one minute long).
//
// # Errors
//
// Every failure is an *Error whose Kind the pages map to an explanation
// (KindOf(err)); its message, for the operator's log, names the provider
// and what failed, and never holds a secret, a code or a token.
//
// # HTTP
//
// Requests are bounded by a 10-second timeout, detached from the caller's
// cancellation (so a closed browser tab does not count as an unreachable
// provider), follow at most three redirects and never from https to http,
// and read at most 1 MiB. Providers are configured by the operator, so
// private and loopback addresses are allowed.
package oidc
