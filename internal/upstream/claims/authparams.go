package claims

import (
	"errors"
	"net/url"
	"slices"
)

// AuthParams are a provider's additional_authorization_parameters,
// compiled: each value is a template rendered with `params` (the raw
// query parameters of the downstream authorization request, empty when
// the login did not start from one) and `logged_out` (the browser signed
// out of this service recently and has no session). Safe for concurrent
// use.
type AuthParams struct {
	providerID string
	keys       []string // sorted, reserved keys left out
	templates  map[string]*template
	ignored    []string
}

// reservedAuthParams are set by the flow itself; a template for one would
// send the parameter twice, or replace the state, nonce or PKCE challenge
// that protect the callback, so these keys are never sent.
var reservedAuthParams = []string{
	"client_id", "code_challenge", "code_challenge_method", "nonce",
	"redirect_uri", "response_mode", "response_type", "scope", "state",
}

// loginHintTemplate is what the deprecated forward_login_hint adds.
const loginHintTemplate = "{{ params.login_hint }}"

// CompileAuthParams parses a provider's additional_authorization_parameters.
// With forwardLoginHint (the deprecated flag) a login_hint entry forwarding
// the downstream login_hint is added unless one is configured. The error
// joins every template that fails to parse, each a *CompileError.
func CompileAuthParams(providerID string, templates map[string]string, forwardLoginHint bool) (*AuthParams, error) {
	a := &AuthParams{providerID: providerID, templates: map[string]*template{}}
	sources := make(map[string]string, len(templates)+1)
	for k, v := range templates {
		sources[k] = v
	}
	if _, ok := sources["login_hint"]; forwardLoginHint && !ok {
		sources["login_hint"] = loginHintTemplate
	}
	var errs []error
	for key, source := range sources {
		if slices.Contains(reservedAuthParams, key) {
			a.ignored = append(a.ignored, key)
			continue
		}
		t, err := parseTemplate(source)
		if err != nil {
			errs = append(errs, &CompileError{ProviderID: providerID, Field: "additional_authorization_parameters." + key, Err: err})
			continue
		}
		a.templates[key] = t
		a.keys = append(a.keys, key)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	slices.Sort(a.keys)
	slices.Sort(a.ignored)
	return a, nil
}

// Ignored lists the configured keys that are never sent because the flow
// sets them itself; worth a warning at startup.
func (a *AuthParams) Ignored() []string { return slices.Clone(a.ignored) }

// Render renders the parameters for one authorization request. Values
// that render empty, or read a missing parameter, are left out. A
// template that fails is an *ImportError naming the parameter: the flow
// should stop rather than send a request without it (it may be the
// prompt=login that forces a fresh sign-in).
func (a *AuthParams) Render(params map[string]string, loggedOut bool) (url.Values, error) {
	p := make(map[string]any, len(params))
	for k, v := range params {
		p[k] = v
	}
	vars := map[string]any{"params": p, "logged_out": loggedOut}
	out := url.Values{}
	for _, key := range a.keys {
		v, err := renderImport(a.providerID, "additional_authorization_parameters."+key, a.templates[key], vars, false)
		if err != nil {
			return nil, err
		}
		if v != "" {
			out.Set(key, v)
		}
	}
	return out, nil
}

// QueryParams turns a request's query into the `params` map: the first
// value of each parameter.
func QueryParams(q url.Values) map[string]string {
	out := make(map[string]string, len(q))
	for k, v := range q {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}
