package oauth

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"

	"mas/internal/domain"
)

// idTokenLifetime is how long an ID token is valid (upstream: one hour).
const idTokenLifetime = time.Hour

// defaultSigningAlg is used when a client registered no
// id_token_signed_response_alg: RS256 is the one algorithm every OpenID
// Connect relying party must support.
const defaultSigningAlg = "RS256"

// idTokenClaims are the claims of the ID tokens we issue. Upstream adds no
// profile or email claims; neither do we.
type idTokenClaims struct {
	Iss      string `json:"iss"`
	Sub      string `json:"sub"`
	Aud      string `json:"aud"`
	Iat      int64  `json:"iat"`
	Exp      int64  `json:"exp"`
	Sid      string `json:"sid,omitempty"`
	Nonce    string `json:"nonce,omitempty"`
	AuthTime *int64 `json:"auth_time,omitempty"`
	AtHash   string `json:"at_hash,omitempty"`
	CHash    string `json:"c_hash,omitempty"`
}

// idTokenInput is what an ID token says.
type idTokenInput struct {
	client         *domain.Client
	user           *domain.User
	browserSession domain.ID
	// nonce comes from the authorization request, if it had one.
	nonce string
	// authTime is the browser session's last authentication, if known.
	authTime *time.Time
	// accessToken and code are hashed into at_hash and c_hash when set.
	accessToken string
	code        string
	now         time.Time
}

// signingAlg is the algorithm a client wants its ID tokens signed with.
func signingAlg(client *domain.Client) string {
	if client.IDTokenSignedResponseAlg != "" {
		return client.IDTokenSignedResponseAlg
	}
	return defaultSigningAlg
}

// signIDToken builds and signs an ID token (OpenID Connect Core §2).
func (h *Handler) signIDToken(in idTokenInput) (string, error) {
	if h.Keys == nil {
		return "", errors.New("no signing keys configured")
	}
	alg := signingAlg(in.client)
	c := idTokenClaims{
		Iss:   h.URLs.Issuer(),
		Sub:   in.user.ID.String(),
		Aud:   in.client.ID.String(),
		Iat:   in.now.Unix(),
		Exp:   in.now.Add(idTokenLifetime).Unix(),
		Sid:   in.browserSession.String(),
		Nonce: in.nonce,
	}
	if in.authTime != nil {
		c.AuthTime = unixSeconds(*in.authTime)
	}
	var err error
	if in.accessToken != "" {
		if c.AtHash, err = tokenHash(alg, in.accessToken); err != nil {
			return "", err
		}
	}
	if in.code != "" {
		if c.CHash, err = tokenHash(alg, in.code); err != nil {
			return "", err
		}
	}
	token, err := h.Keys.Sign(alg, c)
	if err != nil {
		return "", fmt.Errorf("signing ID token with %s: %w", alg, err)
	}
	return token, nil
}

// tokenHash computes at_hash / c_hash (OpenID Connect Core §3.1.3.6): the
// left half of the hash the signing algorithm uses, base64url without
// padding.
func tokenHash(alg, value string) (string, error) {
	var h hash.Hash
	switch {
	case alg == "ES256K" || strings.HasSuffix(alg, "256"):
		h = sha256.New()
	case strings.HasSuffix(alg, "384"):
		h = sha512.New384()
	case strings.HasSuffix(alg, "512"):
		h = sha512.New()
	default:
		return "", fmt.Errorf("no token hash for signing algorithm %q", alg)
	}
	h.Write([]byte(value))
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2]), nil
}
