package templates

import (
	"bytes"
	"html/template"
	"io/fs"
	"strings"
	"testing"
)

// componentPage is a page as the handlers build them: Common embedded,
// errors as Messages.
type componentPage struct {
	Common
	Username string
	Errors   map[string]Message
	Problems []Message
}

// TestComponents renders every form component the way pages call them.
func TestComponents(t *testing.T) {
	text, err := fs.ReadFile(embedded, "files/components.html")
	if err != nil {
		t.Fatal(err)
	}
	set := template.Must(template.New("components").Funcs(funcs).Parse(string(text)))
	template.Must(set.New("page").Parse(`{{template "csrf" .}}
{{template "form-errors" (dict "page" $ "errors" .Problems)}}
{{template "field" (dict "page" $ "name" "username" "label" "common.sign_in" "value" .Username "error" (index .Errors "username") "autocomplete" "username" "required" true)}}
{{template "field" (dict "page" $ "name" "password" "type" "password" "label" "common.sign_in" "hint" "common.cancel")}}
{{template "checkbox" (dict "page" $ "name" "accept_terms" "label" "common.continue" "href" "https://example.com/tos" "link" "common.terms_of_service" "required" true)}}
{{template "button" (dict "page" $ "label" "common.continue")}}
{{template "button" (dict "page" $ "label" "common.cancel" "kind" "secondary" "name" "action" "value" "cancel")}}
{{template "notice" (dict "page" $ "text" (msg "common.signed_in_as" "username" "alice") "kind" "success")}}`))
	page := componentPage{
		Common:   sampleCommon(),
		Username: `al"ice`,
		Errors:   map[string]Message{"username": Msg("common.signed_in_as", "username", "<b>")},
		Problems: []Message{Msg("common.cancel")},
	}
	var buf bytes.Buffer
	if err := set.ExecuteTemplate(&buf, "page", page); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`name="csrf" value="sample-csrf-token"`,
		`<div class="notice notice-error" role="alert">`, "<p>Cancel</p>",
		`<label for="field-username">Sign in</label>`,
		`value="al&#34;ice"`, `autocomplete="username"`, "required", `aria-invalid="true"`,
		`aria-describedby="error-username"`,
		`<p class="field-error" id="error-username">Signed in as &lt;b&gt;</p>`,
		`type="password"`, `aria-describedby="hint-password"`, `<p class="field-hint" id="hint-password">Cancel</p>`,
		`href="https://example.com/tos"`, ">Terms of service</a>",
		`class="button button-primary">Continue</button>`,
		`class="button button-secondary" name="action" value="cancel">Cancel</button>`,
		`notice-success`, "Signed in as alice",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, `id="field-password" name="password" type="password" required`) {
		t.Error("an absent required argument made the field required")
	}
}
