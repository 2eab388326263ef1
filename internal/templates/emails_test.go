package templates

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"mas/internal/i18n"
)

func TestVerificationEmail(t *testing.T) {
	tpl := mustLoad(t, "")
	data := VerificationEmail{EmailCommon: sampleEmailCommon(), Username: "alice", Email: "alice@example.com", Code: "042195", ExpiresInMinutes: 5}
	got, err := tpl.RenderEmail(EmailVerification, data)
	if err != nil {
		t.Fatal(err)
	}
	if want := "042195 is your verification code for Example Authentication Service"; got.Subject != want {
		t.Errorf("subject %q, want %q", got.Subject, want)
	}
	for _, want := range []string{"Hello alice,", "alice@example.com", "    042195\n", "valid for 5 minutes"} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, got.Text)
		}
	}
	for _, want := range []string{`<html lang="en">`, "Example Authentication Service", ">042195</td>", "font-size:34px",
		"Confirm your email address", `href="https://example.com/privacy"`} {
		if !strings.Contains(got.HTML, want) {
			t.Errorf("HTML lacks %q:\n%s", want, got.HTML)
		}
	}
	selfContained(t, got.HTML, "https://example.com/logo.png")

	// One minute is singular; a name is escaped in HTML, not in text.
	data = VerificationEmail{Username: "<b>bob</b>", Email: "bob@example.com", Code: "000001", ExpiresInMinutes: 1}
	got, err = tpl.RenderEmail(EmailVerification, &data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.Text, "valid for 1 minute.") || !strings.Contains(got.Text, "Hello <b>bob</b>,") {
		t.Errorf("text:\n%s", got.Text)
	}
	if strings.Contains(got.HTML, "<b>bob</b>") || !strings.Contains(got.HTML, "&lt;b&gt;bob&lt;/b&gt;") {
		t.Errorf("the name is not escaped:\n%s", got.HTML)
	}
	// Without a configured name the mail signs with the generic one.
	if !strings.Contains(got.Subject, "for Account service") {
		t.Errorf("subject %q", got.Subject)
	}
	selfContained(t, got.HTML, "")
}

func TestRecoveryEmail(t *testing.T) {
	tpl := mustLoad(t, "")
	link := "https://auth.example.com/account/password/recovery?ticket=abc&x=1"
	got, err := tpl.RenderEmail(EmailRecovery, RecoveryEmail{EmailCommon: sampleEmailCommon(), Username: "alice",
		Email: "alice@example.com", Link: link, ExpiresInMinutes: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "Reset your password for Example Authentication Service" {
		t.Errorf("subject %q", got.Subject)
	}
	if !strings.Contains(got.Text, "\n"+link+"\n") || !strings.Contains(got.Text, "within 10 minutes") {
		t.Errorf("text:\n%s", got.Text)
	}
	escaped := strings.ReplaceAll(link, "&", "&amp;")
	if strings.Count(got.HTML, `href="`+escaped+`"`) != 2 || !strings.Contains(got.HTML, ">Choose a new password</a>") {
		t.Errorf("HTML lacks the button and the plain link:\n%s", got.HTML)
	}
	selfContained(t, got.HTML, "https://example.com/logo.png")
}

// selfContained: an HTML mail loads nothing but the deployment's logo, and
// carries no script.
func selfContained(t *testing.T, html, logo string) {
	t.Helper()
	for _, bad := range []string{"<script", "<link", "<style", "{{", "url("} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML mail contains %q", bad)
		}
	}
	for _, m := range regexp.MustCompile(`src="([^"]*)"`).FindAllStringSubmatch(html, -1) {
		if m[1] != logo {
			t.Errorf("HTML mail loads %s", m[1])
		}
	}
}

// A mail follows the recipient's language, through the catalogs.
func TestEmailLanguage(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "fr.json", `{
  "email.verification.subject": "{code} est votre code de vérification pour {service}",
  "email.greeting": "Bonjour {username},"
}`)
	cat, err := i18n.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tpl := mustLoad(t, "")
	data := VerificationEmail{Username: "alice", Email: "a@example.com", Code: "123456", ExpiresInMinutes: 5}
	data.WithLocale(cat.Match("fr-FR, en;q=0.5"))
	data.ServiceName = "Service"
	got, err := tpl.RenderEmail(EmailVerification, data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "123456 est votre code de vérification pour Service" {
		t.Errorf("subject %q", got.Subject)
	}
	if !strings.Contains(got.Text, "Bonjour alice,") || !strings.Contains(got.HTML, `<html lang="fr">`) {
		t.Errorf("not in French:\n%s\n%s", got.Text, got.HTML)
	}
	// Keys the language lacks come from English.
	if !strings.Contains(got.Text, "valid for 5 minutes") {
		t.Errorf("no English fallback:\n%s", got.Text)
	}
}

func TestEmailOverrides(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "emails/verification.subject", "Code: {{.Code}}\n")
	tpl := mustLoad(t, dir)
	got, err := tpl.RenderEmail(EmailVerification, VerificationEmail{Code: "123456"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "Code: 123456" {
		t.Errorf("override not used: %q", got.Subject)
	}

	broken := t.TempDir()
	write(t, broken, "emails/recovery.txt", "{{.NoSuchField}}")
	if _, err := Load(broken); err == nil || !strings.Contains(err.Error(), "emails/recovery") {
		t.Fatalf("broken mail accepted or not named: %v", err)
	}
	write(t, broken, "emails/recovery.txt", "{{if}}")
	if _, err := Load(broken); err == nil || !strings.Contains(err.Error(), filepath.Join(broken, "emails", "recovery.txt")) {
		t.Fatalf("parse error does not name the file: %v", err)
	}
}

func TestRenderEmailRejectsMistakes(t *testing.T) {
	tpl := mustLoad(t, "")
	if _, err := tpl.RenderEmail("emails/nope", nil); err == nil {
		t.Error("unknown mail rendered")
	}
	if _, err := tpl.RenderEmail(EmailRecovery, VerificationEmail{}); err == nil {
		t.Error("wrong data type accepted")
	}
	if err := tpl.Check(); err != nil {
		t.Errorf("Check: %v", err)
	}
	if got := EmailNames(); len(got) != 2 {
		t.Errorf("EmailNames() = %v", got)
	}
}
