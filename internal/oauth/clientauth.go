package oauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"mas/internal/domain"
	"mas/internal/requestctx"
	"mas/internal/store"
)

// clientAssertionTypeJWTBearer is the only client_assertion_type (RFC 7523
// §2.2).
const clientAssertionTypeJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// presentedCredentials is what a request offers to authenticate its client.
type presentedCredentials struct {
	// method is the token_endpoint_auth_method the credentials belong to;
	// for an assertion it is "" until the client says which of
	// client_secret_jwt and private_key_jwt it uses.
	method   string
	clientID string
	// secrets holds the candidate secrets: for Basic, the form-decoded
	// value and, when it differs, the raw one (see basicCredentials).
	secrets   []string
	assertion string
	basic     bool
}

// authenticateClient authenticates the client of a form request (the form
// is already parsed) with the method registered for it. Unknown clients,
// wrong credentials and credentials of another method are 401
// invalid_client, with a Basic challenge when Basic was tried (RFC 6749
// §5.2); malformed requests are 400 invalid_request.
func (h *Handler) authenticateClient(r *http.Request) (*domain.Client, *Error) {
	creds, e := h.extractClientCredentials(r)
	if e != nil {
		return nil, e
	}
	fail := func(desc string) *Error { return h.invalidClient(creds.basic, desc) }

	ctx := r.Context()
	id, err := domain.ParseID(creds.clientID)
	if err != nil {
		return nil, fail("unknown client")
	}
	client, err := h.lookupClient(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fail("unknown client")
	}
	if err != nil {
		requestctx.Logger(ctx).Error("looking up client", "client_id", creds.clientID, "error", err)
		return nil, serverError()
	}

	registered := client.TokenEndpointAuthMethod
	presented := creds.method
	if presented == "" && (registered == authMethodClientSecretJWT || registered == authMethodPrivateKeyJWT) {
		presented = registered
	}
	if registered == "" {
		return nil, fail("the client has no token endpoint authentication method")
	}
	if presented != registered {
		return nil, fail("the client must authenticate with " + registered)
	}

	switch registered {
	case authMethodNone:
	case authMethodClientSecretBasic, authMethodClientSecretPost:
		if client.EncryptedSecret == "" {
			requestctx.Logger(ctx).Error("client has a secret-based authentication method but no secret",
				"client_id", client.ID.String())
			return nil, fail("client authentication failed")
		}
		secret, e := h.clientSecret(r, client)
		if e != nil {
			return nil, e
		}
		if !secretMatches(secret, creds.secrets) {
			return nil, fail("client authentication failed")
		}
	case authMethodClientSecretJWT, authMethodPrivateKeyJWT:
		if e := h.verifyClientAssertion(r, client, creds.assertion); e != nil {
			return nil, e
		}
	default:
		return nil, fail("unsupported client authentication method " + registered)
	}
	return client, nil
}

func (h *Handler) invalidClient(basic bool, desc string) *Error {
	e := newError(ErrInvalidClient, http.StatusUnauthorized, desc)
	if basic {
		e.WWWAuthenticate = `Basic realm="` + strings.ReplaceAll(h.URLs.Issuer(), `"`, "") + `"`
	}
	return e
}

// clientSecret decrypts the stored secret. A client registered with a
// secret method but without a secret is a configuration error, not the
// requester's fault, but still cannot authenticate.
func (h *Handler) clientSecret(r *http.Request, c *domain.Client) ([]byte, *Error) {
	if c.EncryptedSecret == "" {
		requestctx.Logger(r.Context()).Error("client has a secret-based authentication method but no secret",
			"client_id", c.ID.String())
		return nil, h.invalidClient(false, "client authentication failed")
	}
	secret, err := h.Encrypter.Decrypt(c.EncryptedSecret)
	if err != nil {
		requestctx.Logger(r.Context()).Error("decrypting client secret", "client_id", c.ID.String(), "error", err)
		return nil, serverError()
	}
	return secret, nil
}

// secretMatches compares in constant time. Hashing first makes the
// comparison independent of the lengths too.
func secretMatches(want []byte, candidates []string) bool {
	wantSum := sha256.Sum256(want)
	ok := 0
	for _, c := range candidates {
		sum := sha256.Sum256([]byte(c))
		ok |= subtle.ConstantTimeCompare(wantSum[:], sum[:])
	}
	return ok == 1
}

// extractClientCredentials works out which authentication method the
// request uses. Using more than one at once is invalid (RFC 6749 §2.3).
func (h *Handler) extractClientCredentials(r *http.Request) (*presentedCredentials, *Error) {
	form := r.PostForm
	for _, k := range []string{"client_id", "client_secret", "client_assertion_type", "client_assertion"} {
		if len(form[k]) > 1 {
			return nil, newError(ErrInvalidRequest, 0, "the "+k+" parameter is repeated")
		}
	}
	formID, formSecret := form.Get("client_id"), form.Get("client_secret")
	assertionType, assertion := form.Get("client_assertion_type"), form.Get("client_assertion")
	_, hasFormSecret := form["client_secret"]
	_, hasAssertionType := form["client_assertion_type"]
	_, hasAssertion := form["client_assertion"]

	if authz := r.Header.Get("Authorization"); authz != "" {
		scheme, params, _ := strings.Cut(authz, " ")
		switch {
		case strings.EqualFold(scheme, "Basic"):
			if hasFormSecret || hasAssertionType || hasAssertion {
				return nil, newError(ErrInvalidRequest, 0, "the client used more than one authentication method")
			}
			creds, ok := basicCredentials(params)
			if !ok {
				return nil, newError(ErrInvalidRequest, 0, "invalid Authorization header")
			}
			if formID != "" && formID != creds.clientID {
				return nil, h.invalidClient(true, "the client_id in the request body does not match the Authorization header")
			}
			return creds, nil
		case strings.EqualFold(scheme, "Bearer"):
			return nil, h.invalidClient(false, "bearer authentication is not accepted here")
		default:
			return nil, newError(ErrInvalidRequest, 0, "unsupported Authorization scheme")
		}
	}

	switch {
	case hasAssertionType || hasAssertion:
		if hasFormSecret {
			return nil, newError(ErrInvalidRequest, 0, "the client used more than one authentication method")
		}
		if assertionType != clientAssertionTypeJWTBearer {
			return nil, newError(ErrInvalidRequest, 0, "unsupported client_assertion_type")
		}
		if assertion == "" {
			return nil, newError(ErrInvalidRequest, 0, "the client_assertion parameter is missing")
		}
		sub, ok := unverifiedAssertionSubject(assertion)
		if !ok {
			return nil, h.invalidClient(false, "the client_assertion is not a JWT with a sub claim")
		}
		if formID != "" && formID != sub {
			return nil, h.invalidClient(false, "the client_id does not match the sub claim of the client_assertion")
		}
		return &presentedCredentials{clientID: sub, assertion: assertion}, nil
	case formID != "" && hasFormSecret:
		return &presentedCredentials{method: authMethodClientSecretPost, clientID: formID, secrets: []string{formSecret}}, nil
	case formID != "":
		return &presentedCredentials{method: authMethodNone, clientID: formID}, nil
	case hasFormSecret:
		return nil, newError(ErrInvalidRequest, 0, "the client_secret parameter needs a client_id")
	default:
		return nil, h.invalidClient(false, "no client authentication was presented")
	}
}

// basicCredentials decodes HTTP Basic credentials. RFC 6749 §2.3.1 has the
// client form-encode its ID and secret before Basic encoding, which most
// clients (and upstream) skip; for identifiers and generated secrets, made
// of alphanumerics, both readings agree, and for a configured secret with
// '+' or '%' in it both are tried so that either kind of client works.
func basicCredentials(params string) (*presentedCredentials, bool) {
	decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(params))
	if err != nil {
		return nil, false
	}
	rawID, rawSecret, ok := strings.Cut(string(decoded), ":")
	if !ok {
		return nil, false
	}
	id := rawID
	if v, err := url.QueryUnescape(rawID); err == nil {
		id = v
	}
	secrets := []string{rawSecret}
	if v, err := url.QueryUnescape(rawSecret); err == nil && v != rawSecret {
		secrets = append([]string{v}, secrets...)
	}
	return &presentedCredentials{method: authMethodClientSecretBasic, clientID: id, secrets: secrets, basic: true}, true
}
