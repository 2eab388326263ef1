// Package oauth implements the OAuth 2.0 / OpenID Connect provider that
// Matrix clients log in through (MSC3861 family): discovery, dynamic client
// registration, the authorization endpoint and its consent pages, the token
// endpoint with its four grants, introspection for the homeserver,
// revocation, userinfo and the device authorization grant.
//
// Protocol errors are values (*Error) written in exactly one place
// (writeError for JSON answers, deliverError for authorization responses
// sent back to the client); handlers never format error JSON by hand.
package oauth
