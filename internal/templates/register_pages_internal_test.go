package templates

import (
	"strings"
	"testing"
)

// renderRegistration renders one sample of a registration page on its
// own, so that these tests do not depend on the other areas' pages.
func renderRegistration(t *testing.T, name string, sample int) string {
	t.Helper()
	set, err := parsePage(source{}, name)
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := lookup(name)
	out, err := execute(set, name, spec.samples()[sample])
	if err != nil {
		t.Fatalf("%s sample %d: %v", name, sample, err)
	}
	return string(out)
}

// TestRegistrationPagesRender renders every sample of every registration
// page.
func TestRegistrationPagesRender(t *testing.T) {
	for _, p := range registrationPages {
		for i := range p.samples() {
			renderRegistration(t, p.name, i)
		}
	}
}

// TestRegisterPasswordPageShowsErrorsAndWidget: each error is next to its
// field, the terms link and the captcha widget (script and element) are on
// the page, and page data is escaped.
func TestRegisterPasswordPageShowsErrorsAndWidget(t *testing.T) {
	html := renderRegistration(t, PageRegisterPassword, 1)
	for _, want := range []string{
		`id="error-username"`, `id="error-email"`, `id="error-password"`, `id="error-password_confirm"`,
		`id="error-accept_terms"`, `href="https://example.com/terms"`,
		`<script src="https://challenges.cloudflare.com/turnstile/v0/api.js" async defer></script>`,
		`<div class="cf-turnstile" data-sitekey="1x00000000000000000000AA"></div>`,
		`value="Alice&lt;b&gt;"`, "The challenge was not solved",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("password page lacks %s\n%s", want, html)
		}
	}
	if plain := renderRegistration(t, PageRegisterPassword, 0); strings.Contains(plain, "<script") || strings.Contains(plain, "accept_terms") {
		t.Errorf("page without captcha or terms has them:\n%s", plain)
	}
}
