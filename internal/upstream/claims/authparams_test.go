package claims

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestAuthParams(t *testing.T) {
	a, err := CompileAuthParams("p1", map[string]string{
		"login_hint":  "{{ params.login_hint }}",
		"acr_values":  "{{ params.acr_values }}",
		"kc_idp_hint": "saml",
		"prompt":      "{% if logged_out %}login{% endif %}",
		"ui_locales":  "{{ params.ui_locales.split(' ')[0] }}",
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		params    map[string]string
		loggedOut bool
		want      url.Values
	}{
		{"no downstream request", nil, false, url.Values{"kc_idp_hint": {"saml"}}},
		{"forwarded", map[string]string{"login_hint": "alice", "ui_locales": "fr en", "client_id": "c"}, false,
			url.Values{"kc_idp_hint": {"saml"}, "login_hint": {"alice"}, "ui_locales": {"fr"}}},
		{"logged out", nil, true, url.Values{"kc_idp_hint": {"saml"}, "prompt": {"login"}}},
		{"empty parameter dropped", map[string]string{"acr_values": ""}, false, url.Values{"kc_idp_hint": {"saml"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := a.Render(tc.params, tc.loggedOut)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAuthParamsLoginHintForwarding(t *testing.T) {
	params := map[string]string{"login_hint": "mxid:@alice:example.com"}
	a, err := CompileAuthParams("p1", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := a.Render(params, false)
	if got.Get("login_hint") != "mxid:@alice:example.com" {
		t.Errorf("forward_login_hint: got %v", got)
	}
	// A configured login_hint wins over the deprecated flag.
	a, _ = CompileAuthParams("p1", map[string]string{"login_hint": "{{ params.login_hint.split(':')[0] }}"}, true)
	got, _ = a.Render(params, false)
	if got.Get("login_hint") != "mxid" {
		t.Errorf("configured login_hint: got %v", got)
	}
	// Without the flag, nothing is forwarded.
	a, _ = CompileAuthParams("p1", nil, false)
	got, _ = a.Render(params, false)
	if len(got) != 0 {
		t.Errorf("no forwarding: got %v", got)
	}
}

// Parameters the flow sets itself are never sent from a template.
func TestAuthParamsReservedKeys(t *testing.T) {
	a, err := CompileAuthParams("p1", map[string]string{"state": "x", "nonce": "{{ params.nonce }}", "prompt": "consent"}, false)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := a.Render(map[string]string{"nonce": "n"}, false)
	if !reflect.DeepEqual(got, url.Values{"prompt": {"consent"}}) {
		t.Errorf("got %v", got)
	}
	if !reflect.DeepEqual(a.Ignored(), []string{"nonce", "state"}) {
		t.Errorf("Ignored() = %v", a.Ignored())
	}
}

func TestAuthParamsErrors(t *testing.T) {
	_, err := CompileAuthParams("p1", map[string]string{"prompt": "{% if logged_out %}"}, false)
	var ce *CompileError
	if !errors.As(err, &ce) || ce.Field != "additional_authorization_parameters.prompt" || !strings.Contains(err.Error(), "upstream provider p1") {
		t.Fatalf("err = %v", err)
	}
	a, err := CompileAuthParams("p1", map[string]string{"acr_values": "{{ params.acr | b64decode }}"}, false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Render(map[string]string{"acr": "!!"}, false)
	var ie *ImportError
	if !errors.As(err, &ie) || ie.Field != "additional_authorization_parameters.acr_values" || !errors.Is(err, ErrTemplate) {
		t.Fatalf("err = %v", err)
	}
}

func TestQueryParams(t *testing.T) {
	got := QueryParams(url.Values{"a": {"1", "2"}, "b": {}, "c": {""}})
	if !reflect.DeepEqual(got, map[string]string{"a": "1", "c": ""}) {
		t.Errorf("got %v", got)
	}
}
