package oidc

import (
	"errors"
	"fmt"
	"strings"
)

// Kind tells which step of talking to the provider failed, so that the
// pages can explain it. The zero Kind is never returned.
type Kind int

// The kinds of failure.
const (
	// KindConfig: the provider's configuration cannot work (an endpoint
	// missing with discovery disabled, a key that cannot sign, an
	// unsupported algorithm).
	KindConfig Kind = iota + 1
	// KindUnreachable: the provider could not be reached, timed out or
	// answered with a server error (5xx).
	KindUnreachable
	// KindBadMetadata: the discovery document is missing, malformed or,
	// in oidc mode, fails the strict checks.
	KindBadMetadata
	// KindTokenRefused: the token endpoint refused the code; Error.Code
	// holds the OAuth error code when the provider gave one.
	KindTokenRefused
	// KindBadResponse: a reply that is not what the protocol says (no
	// access_token, a JWK Set or userinfo that does not parse, a callback
	// without code or state).
	KindBadResponse
	// KindBadSignature: a token's signature does not verify, it is signed
	// with another algorithm than the configured one, or no published key
	// matches it (even after refetching the provider's key set).
	KindBadSignature
	// KindWrongIssuer: iss (or the callback's iss parameter) is not the
	// configured issuer.
	KindWrongIssuer
	// KindWrongAudience: aud does not contain our client_id, or azp names
	// another client.
	KindWrongAudience
	// KindExpired: exp has passed, or iat lies in the future.
	KindExpired
	// KindWrongNonce: the ID token's nonce is not the one we sent.
	KindWrongNonce
	// KindMissingClaim: a required claim (sub, exp, iat, iss, aud, events,
	// sub-or-sid) is absent.
	KindMissingClaim
	// KindInvalidClaim: a claim is present but not acceptable (a claim of
	// the wrong type, a nonce in a logout token, a wrong at_hash or c_hash).
	KindInvalidClaim
	// KindSubjectMismatch: the userinfo sub differs from the ID token's.
	KindSubjectMismatch
	// KindAuthorizationDenied: the provider sent the user back with an
	// error (access_denied, login_required...); Error.Code holds it.
	KindAuthorizationDenied
)

var kindNames = map[Kind]string{
	KindConfig:              "configuration error",
	KindUnreachable:         "provider unreachable",
	KindBadMetadata:         "bad provider metadata",
	KindTokenRefused:        "token request refused",
	KindBadResponse:         "bad response",
	KindBadSignature:        "bad signature",
	KindWrongIssuer:         "wrong issuer",
	KindWrongAudience:       "wrong audience",
	KindExpired:             "expired token",
	KindWrongNonce:          "wrong nonce",
	KindMissingClaim:        "missing claim",
	KindInvalidClaim:        "invalid claim",
	KindSubjectMismatch:     "userinfo subject mismatch",
	KindAuthorizationDenied: "authorization denied",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("oidc.Kind(%d)", int(k))
}

// Error is every error this package returns from talking to a provider.
// Its message is meant for the operator's log: it names the provider and
// the step, and never carries a secret, a code or a token.
type Error struct {
	Kind Kind
	// Provider is Options.ID.
	Provider string
	// Code is the OAuth error code the provider returned, for
	// KindTokenRefused and KindAuthorizationDenied.
	Code string
	// Description is the provider's error_description, shortened and
	// stripped of control characters.
	Description string
	// Msg says what went wrong.
	Msg string
	// Err is the underlying cause, if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("upstream provider")
	if e.Provider != "" {
		b.WriteString(" " + e.Provider)
	}
	b.WriteString(": " + e.Kind.String())
	if e.Msg != "" {
		b.WriteString(": " + e.Msg)
	}
	if e.Code != "" {
		b.WriteString(" (error " + e.Code)
		if e.Description != "" {
			b.WriteString(": " + e.Description)
		}
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of err, or 0 when err is not (or does not wrap)
// an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

func (p *Provider) fail(kind Kind, cause error, format string, args ...any) *Error {
	return &Error{Kind: kind, Provider: p.opts.ID, Msg: fmt.Sprintf(format, args...), Err: cause}
}

// maxProviderText bounds what we repeat of a provider's own words.
const maxProviderText = 200

// providerText makes a provider-supplied string safe for a log line.
func providerText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxProviderText {
		// Cut on a rune boundary.
		s = strings.ToValidUTF8(s[:maxProviderText], "") + "…"
	}
	return s
}
