package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"mas/internal/domain"
	"mas/internal/policy"
	"mas/internal/requestctx"
	"mas/internal/store"
	"mas/internal/tokens"
)

// maxRegistrationBytes bounds registration bodies. Real ones are well under
// 4 KiB; an inline JWK Set with a few RSA keys stays far below this.
const maxRegistrationBytes = 64 << 10

// clientSecretLength is the number of alphanumerics in a generated client
// secret (about 119 bits).
const clientSecretLength = 20

// registrationResponse is the RFC 7591 §3.2.1 response: the issued
// credentials followed by the metadata as registered.
type registrationResponse struct {
	ClientID                    string          `json:"client_id"`
	ClientSecret                string          `json:"client_secret,omitempty"`
	ClientIDIssuedAt            int64           `json:"client_id_issued_at"`
	ClientSecretExpiresAt       *int64          `json:"client_secret_expires_at,omitempty"`
	RedirectURIs                []string        `json:"redirect_uris"`
	GrantTypes                  []string        `json:"grant_types"`
	ApplicationType             string          `json:"application_type,omitempty"`
	Contacts                    []string        `json:"contacts,omitempty"`
	ClientName                  string          `json:"client_name,omitempty"`
	LogoURI                     string          `json:"logo_uri,omitempty"`
	ClientURI                   string          `json:"client_uri,omitempty"`
	PolicyURI                   string          `json:"policy_uri,omitempty"`
	TOSURI                      string          `json:"tos_uri,omitempty"`
	JWKSURI                     string          `json:"jwks_uri,omitempty"`
	JWKS                        json.RawMessage `json:"jwks,omitempty"`
	IDTokenSignedResponseAlg    string          `json:"id_token_signed_response_alg,omitempty"`
	UserinfoSignedResponseAlg   string          `json:"userinfo_signed_response_alg,omitempty"`
	TokenEndpointAuthMethod     string          `json:"token_endpoint_auth_method,omitempty"`
	TokenEndpointAuthSigningAlg string          `json:"token_endpoint_auth_signing_alg,omitempty"`
	InitiateLoginURI            string          `json:"initiate_login_uri,omitempty"`
}

// register implements RFC 7591 dynamic client registration: open (no
// initial access token) and without the RFC 7592 management API.
func (h *Handler) register(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	log := requestctx.Logger(ctx)

	md, e := h.readRegistration(w, r)
	if e != nil {
		writeError(w, e)
		return
	}

	// Hashed before anything is dropped, so that the digest only depends
	// on what the client sent.
	digest := md.digest()

	if !h.Settings.DeviceCodeGrantEnabled && md.dropGrantType(grantTypeDeviceCode) {
		log.Warn("client registration asked for the device code grant, which is disabled; dropping it")
	}

	var signingAlgs []string
	if h.Keys != nil {
		signingAlgs = h.Keys.Algorithms()
	}
	if e := md.validate(signingAlgs, h.policyEngine().AllowInsecureURIs()); e != nil {
		writeError(w, e)
		return
	}
	if e := md.publicSuffixError(); e != nil {
		writeError(w, e)
		return
	}
	// Without a configured policy the rules still apply, without data (as
	// for every other policy decision): open registration must never
	// accept arbitrary redirect URIs.
	if vs := h.policyEngine().ClientRegistration(policy.ClientRegistrationInput{
		ClientMetadata: md.policyInput(),
		Requester:      policy.Requester{IPAddress: requestctx.ClientIP(ctx), UserAgent: r.UserAgent()},
	}); len(vs) > 0 {
		writeError(w, registrationPolicyError(vs))
		return
	}

	client, err := h.clientFromMetadata(md)
	if err != nil {
		log.Error("building client from registration", "error", err)
		writeError(w, serverError())
		return
	}

	var secret string
	switch client.TokenEndpointAuthMethod {
	case authMethodClientSecretBasic, authMethodClientSecretPost, authMethodClientSecretJWT:
		if secret, err = tokens.RandomAlphanumeric(h.Rand, clientSecretLength); err == nil {
			client.EncryptedSecret, err = h.Encrypter.Encrypt([]byte(secret))
		}
		if err != nil {
			log.Error("generating client secret", "error", err)
			writeError(w, serverError())
			return
		}
	default:
		// Without a secret nothing distinguishes two registrations of the
		// same metadata, so they share one client instead of piling up.
		client.MetadataDigest = digest
	}

	client, reused, err := h.storeRegisteredClient(ctx, client)
	if err != nil {
		log.Error("storing registered client", "error", err)
		writeError(w, serverError())
		return
	}
	if reused {
		log.Info("client registration reuses an identical client", "client_id", client.ID.String())
	} else {
		log.Info("registered client", "client_id", client.ID.String(), "client_name", client.ClientName,
			"token_endpoint_auth_method", client.TokenEndpointAuthMethod)
	}
	writeJSON(w, http.StatusCreated, registrationResponseFor(client, secret))
}

// readRegistration checks the request shape and decodes the metadata.
func (h *Handler) readRegistration(w http.ResponseWriter, r *http.Request) (clientMetadata, *Error) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	// Like upstream, structured-syntax types (application/*+json) count.
	if err != nil || (ct != "application/json" && !(strings.HasPrefix(ct, "application/") && strings.HasSuffix(ct, "+json"))) {
		return nil, newError(ErrInvalidRequest, 0, "the request body must be application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRegistrationBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, newError(ErrInvalidRequest, http.StatusRequestEntityTooLarge, "the request body is too large")
		}
		return nil, newError(ErrInvalidRequest, 0, "the request body could not be read")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return nil, newError(ErrInvalidRequest, 0, "the request body must be a JSON object")
	}
	// encoding/json would turn invalid UTF-8 into U+FFFD and keep NULs
	// ("\u0000"): refuse both rather than store what was not sent, or
	// what PostgreSQL cannot hold.
	var all any
	if !utf8.Valid(body) || json.Unmarshal(body, &all) != nil || !jsonIsText(all) {
		return nil, newError(ErrInvalidClientMetadata, 0, "the client metadata holds text that is not valid UTF-8 or has a NUL character")
	}
	return parseClientMetadata(raw)
}

// jsonIsText reports whether every string (keys included) of a decoded
// JSON value is text (domain.IsText).
func jsonIsText(v any) bool {
	switch t := v.(type) {
	case string:
		return domain.IsText(t)
	case []any:
		for _, item := range t {
			if !jsonIsText(item) {
				return false
			}
		}
	case map[string]any:
		for k, item := range t {
			if !domain.IsText(k) || !jsonIsText(item) {
				return false
			}
		}
	}
	return true
}

// registrationPolicyError reports policy violations. A violation about a
// redirect URI makes the whole error invalid_redirect_uri (RFC 7591 §3.2.2);
// upstream recognises those by "redirect_uri" in the message, which also
// covers the missing or malformed redirect_uris list.
func registrationPolicyError(vs []policy.Violation) *Error {
	code := ErrInvalidClientMetadata
	msgs := make([]string, len(vs))
	for i, v := range vs {
		msgs[i] = v.Msg
		if v.RedirectURI != "" || strings.Contains(v.Msg, "redirect_uri") {
			code = ErrInvalidRedirectURI
		}
	}
	return newError(code, 0, strings.Join(msgs, "; "))
}

// clientFromMetadata maps registered metadata onto the stored client. Only
// the default-language variants of localised fields are kept, and metadata
// the server does not act on (response types, encryption, software
// statement fields) is not stored.
func (h *Handler) clientFromMetadata(md clientMetadata) (*domain.Client, error) {
	grants := md.grantTypes()
	c := &domain.Client{
		RedirectURIs:                md.list("redirect_uris"),
		GrantAuthorizationCode:      slices.Contains(grants, grantTypeAuthorizationCode),
		GrantRefreshToken:           slices.Contains(grants, grantTypeRefreshToken),
		GrantClientCredentials:      slices.Contains(grants, grantTypeClientCredentials),
		GrantDeviceCode:             slices.Contains(grants, grantTypeDeviceCode),
		ClientName:                  md.str("client_name"),
		LogoURI:                     md.str("logo_uri"),
		ClientURI:                   md.str("client_uri"),
		PolicyURI:                   md.str("policy_uri"),
		TOSURI:                      md.str("tos_uri"),
		JWKSURI:                     md.str("jwks_uri"),
		IDTokenSignedResponseAlg:    md.str("id_token_signed_response_alg"),
		UserinfoSignedResponseAlg:   md.str("userinfo_signed_response_alg"),
		TokenEndpointAuthMethod:     md.authMethod(),
		TokenEndpointAuthSigningAlg: md.str("token_endpoint_auth_signing_alg"),
		InitiateLoginURI:            md.str("initiate_login_uri"),
		ApplicationType:             md.str("application_type"),
		Contacts:                    md.list("contacts"),
	}
	if c.ApplicationType == "" {
		c.ApplicationType = defaultApplicationType
	}
	if len(c.Contacts) == 0 {
		c.Contacts = nil
	}
	if set, ok := md["jwks"]; ok {
		b, err := json.Marshal(set)
		if err != nil {
			return nil, err
		}
		c.JWKS = string(b)
	}
	return c, nil
}

// storeRegisteredClient adds the client or, for a secret-less client whose
// metadata digest is already known, returns the existing one. Two
// identical registrations racing each other settle on the digest's unique
// index: the loser reads the winner's client.
func (h *Handler) storeRegisteredClient(ctx context.Context, c *domain.Client) (*domain.Client, bool, error) {
	if c.MetadataDigest != "" {
		existing, err := h.Store.Clients().FindByMetadataDigest(ctx, c.MetadataDigest)
		if err == nil {
			return existing, true, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, false, err
		}
	}
	err := h.Store.Clients().Add(ctx, c)
	if err == nil {
		return c, false, nil
	}
	if c.MetadataDigest != "" && errors.Is(err, store.ErrConflict) {
		existing, ferr := h.Store.Clients().FindByMetadataDigest(ctx, c.MetadataDigest)
		if ferr == nil {
			return existing, true, nil
		}
	}
	return nil, false, err
}

// registrationResponseFor echoes the client as stored, which is what the
// client is held to (RFC 7591 §3.2.1: the server may have replaced or
// dropped values).
func registrationResponseFor(c *domain.Client, secret string) *registrationResponse {
	grants := []string{}
	for _, g := range []struct {
		on   bool
		name string
	}{
		{c.GrantAuthorizationCode, grantTypeAuthorizationCode},
		{c.GrantRefreshToken, grantTypeRefreshToken},
		{c.GrantClientCredentials, grantTypeClientCredentials},
		{c.GrantDeviceCode, grantTypeDeviceCode},
	} {
		if g.on {
			grants = append(grants, g.name)
		}
	}
	res := &registrationResponse{
		ClientID:                    c.ID.String(),
		ClientIDIssuedAt:            domain.IDTime(c.ID).Unix(),
		RedirectURIs:                c.RedirectURIs,
		GrantTypes:                  grants,
		ApplicationType:             c.ApplicationType,
		Contacts:                    c.Contacts,
		ClientName:                  c.ClientName,
		LogoURI:                     c.LogoURI,
		ClientURI:                   c.ClientURI,
		PolicyURI:                   c.PolicyURI,
		TOSURI:                      c.TOSURI,
		JWKSURI:                     c.JWKSURI,
		IDTokenSignedResponseAlg:    c.IDTokenSignedResponseAlg,
		UserinfoSignedResponseAlg:   c.UserinfoSignedResponseAlg,
		TokenEndpointAuthMethod:     c.TokenEndpointAuthMethod,
		TokenEndpointAuthSigningAlg: c.TokenEndpointAuthSigningAlg,
		InitiateLoginURI:            c.InitiateLoginURI,
	}
	if res.RedirectURIs == nil {
		res.RedirectURIs = []string{}
	}
	if c.JWKS != "" && json.Valid([]byte(c.JWKS)) {
		res.JWKS = json.RawMessage(c.JWKS)
	}
	if secret != "" {
		res.ClientSecret = secret
		never := int64(0)
		res.ClientSecretExpiresAt = &never
	}
	return res
}
