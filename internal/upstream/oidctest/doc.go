// Package oidctest gives the upstream login tests real OpenID providers on
// 127.0.0.1, whose own login forms they submit with a cookie-jar client:
//
//   - Panva: panva's certified oidc-provider (npm, installed by
//     scripts/test-services, which exports MAS_TEST_OIDC_PROVIDER), started
//     as a Node process from testdata/provider.mjs. It takes any client
//     metadata: every token_endpoint_auth_method, ID token algorithms,
//     required PKCE, userinfo on or off, back-channel logout, a consent form.
//   - Zitadel: the zitadel/oidc example provider, run in-process. Its clients
//     authenticate with client_secret_basic or client_secret_post, it signs
//     with RS256 and its login form is its own.
//
// Both take a Config (clients and users) and return a Provider, whose Login
// drives the provider's pages up to the redirect (or form_post) back to the
// client, and returns that without following it.
//
// For what real providers cannot be made to do, Fake(t, FakeConfig) runs a
// small provider of our own in-process (httptest, plain HTTP): discovery,
// JWKS, an authorization endpoint that answers at once with a code (no
// login form), token and userinfo. Its FakeConfig (changeable with Update)
// makes it misbehave: bad discovery metadata or status, error=access_denied,
// token endpoint errors and 5xx, ID token claims edited (aud, nonce, exp,
// iss, sub), tokens signed by an impostor key; Close takes it down. It
// records the authorization and token requests (client authentication,
// PKCE) and mints back-channel logout tokens.
//
// Tests and testenv import this package; the product never does.
package oidctest
