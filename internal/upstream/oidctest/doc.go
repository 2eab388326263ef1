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
// client, and returns that without following it. Tests and testenv import
// this package; the product never does.
package oidctest
