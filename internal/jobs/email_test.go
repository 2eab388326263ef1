package jobs_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"mas/internal/domain"
	"mas/internal/email"
	"mas/internal/email/mailpittest"
	"mas/internal/i18n"
	"mas/internal/jobs"
	"mas/internal/logtest"
	"mas/internal/routes"
	"mas/internal/store"
	"mas/internal/templates"
)

const (
	kindEmailCode = "send-email-authentication-code"
	kindRecovery  = "send-account-recovery-email"
	publicBase    = "https://auth.example.test/prefix/"
)

// mailTo wires the mail jobs to an SMTP server at host:port (plain), with
// a French catalog beside the English one, and captures the workers' log
// lines from debug level up.
func (e *env) mailTo(t *testing.T, host string, port int) *logtest.Buffer {
	t.Helper()
	return e.mailWith(t, email.Options{Transport: email.TransportSMTP, Mode: email.ModePlain,
		Hostname: host, Port: port, From: `"Test Service" <noreply@example.test>`, Timeout: 10 * time.Second})
}

// mailWith is mailTo with any transport.
func (e *env) mailWith(t *testing.T, opts email.Options) *logtest.Buffer {
	t.Helper()
	mailer, err := email.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	french := `{
  "email.verification.subject": "{code} est votre code pour {service}",
  "email.recovery.subject": "Réinitialisez votre mot de passe sur {service}"
}`
	if err := os.WriteFile(filepath.Join(dir, "fr.json"), []byte(french), 0o644); err != nil {
		t.Fatal(err)
	}
	catalog, err := i18n.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	urls, err := routes.NewURLBuilder(publicBase, "")
	if err != nil {
		t.Fatal(err)
	}
	logger, logs := logtest.New(t, slog.LevelDebug)
	e.tune = func(d *jobs.Deps) {
		d.Logger = logger
		d.Mail = jobs.Mail{Mailer: mailer, Templates: tpl, I18n: catalog, URLs: urls,
			Branding: templates.Branding{ServiceName: "Test Service"}}
	}
	return logs
}

// addCodeJob stores an email authentication for address, owned by a
// registration for username, and enqueues its code job, in one
// transaction.
func (e *env) addCodeJob(t *testing.T, username, address, lang string) *domain.EmailAuthentication {
	t.Helper()
	ctx := context.Background()
	auth := &domain.EmailAuthentication{Email: address}
	err := store.WithTx(ctx, e.store, func(tx store.Tx) error {
		r := &domain.UserRegistration{Username: username}
		if err := tx.Registrations().Add(ctx, r); err != nil {
			return err
		}
		auth.UserRegistrationID = &r.ID
		if err := tx.EmailAuthentications().Add(ctx, auth); err != nil {
			return err
		}
		return tx.Jobs().Enqueue(ctx, domain.SendEmailAuthenticationCodeJob{EmailAuthenticationID: auth.ID, Language: lang})
	})
	if err != nil {
		t.Fatal(err)
	}
	return auth
}

// mailJob waits until the single job of kind whose arguments name id
// reaches want.
func (e *env) mailJob(t *testing.T, kind string, id domain.ID, want rivertype.JobState) *rivertype.JobRow {
	t.Helper()
	var row *rivertype.JobRow
	waitFor(t, fmt.Sprintf("%s job for %s to be %s", kind, id, want), func() (bool, string) {
		res, err := e.runner.Client().JobList(context.Background(), river.NewJobListParams().Kinds(kind).First(10000))
		if err != nil {
			t.Fatal(err)
		}
		var rows []*rivertype.JobRow
		for _, j := range res.Jobs {
			if bytes.Contains(j.EncodedArgs, []byte(`"`+id.String()+`"`)) {
				rows = append(rows, j)
			}
		}
		if len(rows) != 1 {
			return false, fmt.Sprintf("%d jobs", len(rows))
		}
		row = rows[0]
		return row.State == want, describeJob(row)
	})
	return row
}

// The code job mails, in the job's language, the code the store holds;
// the code appears in no log line.
func TestSendEmailCode(t *testing.T) {
	mp := mailpittest.Require(t)
	forEachBackend(t, func(t *testing.T, e *env) {
		logs := e.mailTo(t, mp.SMTPHost, mp.SMTPPort)
		e.start(t, jobs.Options{})
		ctx := context.Background()

		french := mailpittest.Address("code-fr")
		auth := e.addCodeJob(t, "reggie", french, "fr-FR,fr;q=0.9")
		row := e.mailJob(t, kindEmailCode, auth.ID, rivertype.JobStateCompleted)
		if row.Attempt != 1 {
			t.Errorf("took %d attempts", row.Attempt)
		}
		code, err := e.store.EmailAuthentications().LatestCode(ctx, auth.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(code.Code) {
			t.Fatalf("code %q is not 6 digits", code.Code)
		}
		if left := time.Until(code.ExpiresAt); left < 4*time.Minute || left > 5*time.Minute {
			t.Errorf("code expires in %s, want 5 minutes", left)
		}
		got := mp.Wait(t, french, 1)
		m := got[0]
		if m.Subject != code.Code+" est votre code pour Test Service" {
			t.Errorf("subject %q, want the French one with code %s", m.Subject, code.Code)
		}
		if !strings.Contains(m.Text, "Hello reggie,") || !strings.Contains(m.Text, "    "+code.Code+"\n") ||
			!strings.Contains(m.HTML, ">"+code.Code+"</td>") || !strings.Contains(m.HTML, `<html lang="fr">`) {
			t.Errorf("mail does not carry the code in both parts:\n%s\n%s", m.Text, m.HTML)
		}
		if m.From.Address != "noreply@example.test" || m.From.Name != "Test Service" {
			t.Errorf("from %+v", m.From)
		}

		// A signed-in user adding an address: named by the account, in
		// English when the language is unknown.
		english := mailpittest.Address("code-en")
		var added domain.EmailAuthentication
		err = store.WithTx(ctx, e.store, func(tx store.Tx) error {
			u, err := tx.Users().Add(ctx, "alice")
			if err != nil {
				return err
			}
			bs, err := tx.BrowserSessions().Add(ctx, u.ID, "")
			if err != nil {
				return err
			}
			added = domain.EmailAuthentication{Email: english, BrowserSessionID: &bs.ID}
			if err := tx.EmailAuthentications().Add(ctx, &added); err != nil {
				return err
			}
			return tx.Jobs().Enqueue(ctx, domain.SendEmailAuthenticationCodeJob{EmailAuthenticationID: added.ID, Language: "tlh"})
		})
		if err != nil {
			t.Fatal(err)
		}
		e.mailJob(t, kindEmailCode, added.ID, rivertype.JobStateCompleted)
		m = mp.Wait(t, english, 1)[0]
		second, err := e.store.EmailAuthentications().LatestCode(ctx, added.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != second.Code+" is your verification code for Test Service" || !strings.Contains(m.Text, "Hello alice,") {
			t.Errorf("mail:\n%s\n%s", m.Subject, m.Text)
		}

		for _, c := range []string{code.Code, second.Code} {
			if strings.Contains(logs.String(), c) {
				t.Errorf("a code was logged although the mail went out:\n%s", logs)
			}
		}
		if !strings.Contains(logs.String(), "sent email verification code") {
			t.Errorf("no success line:\n%s", logs)
		}
	})
}

var loggedCode = regexp.MustCompile(`level=WARN msg="email could not be sent; give this verification code to the user" ` +
	`email=(\S+) code=([0-9]{6}) username=(\S+) `)

// With the blackhole transport (upstream's default) no mail reaches
// anyone, so the code is logged for the operator each time, and the job
// succeeds.
func TestSendEmailCodeBlackholeLogsCode(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		logs := e.mailWith(t, email.Options{Transport: email.TransportBlackhole, From: "noreply@example.test"})
		e.start(t, jobs.Options{})
		auth := e.addCodeJob(t, "reggie", "reggie@example.test", "")
		e.mailJob(t, kindEmailCode, auth.ID, rivertype.JobStateCompleted)
		code, err := e.store.EmailAuthentications().LatestCode(context.Background(), auth.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := `level=WARN msg="email transport is blackhole, so no email was sent; give this verification code to the user" ` +
			"email=reggie@example.test code=" + code.Code + " username=reggie "
		if !strings.Contains(logs.String(), want) {
			t.Fatalf("log lacks %q:\n%s", want, logs)
		}
	})
}

// With the SMTP server down the job fails, is retried, and each attempt
// logs one WARN line naming the address, the user and the code, which is
// the stored code; retries send the same code rather than drawing more.
func TestSendEmailCodeWhenSMTPIsDown(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		host, port := mailpittest.Unreachable(t)
		logs := e.mailTo(t, host, port)
		retry := newGatedRetry(2)
		e.start(t, jobs.Options{RetryPolicy: retry})
		t.Cleanup(retry.Resume)

		auth := e.addCodeJob(t, "reggie", "reggie@example.test", "")
		awaitHeld(t, retry, "the job did not fail twice", logs)
		lines := loggedCode.FindAllStringSubmatch(logs.String(), -1)
		if len(lines) != 2 {
			t.Fatalf("%d operator lines for two failed attempts, want 2:\n%s", len(lines), logs)
		}
		code, err := e.store.EmailAuthentications().LatestCode(context.Background(), auth.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			if l[1] != "reggie@example.test" || l[2] != code.Code || l[3] != "reggie" {
				t.Errorf("logged email=%s code=%s username=%s, want reggie@example.test, %s, reggie", l[1], l[2], l[3], code.Code)
			}
		}
		row := e.mailJob(t, kindEmailCode, auth.ID, rivertype.JobStateRunning)
		for _, er := range row.Errors {
			if strings.Contains(er.Error, code.Code) {
				t.Errorf("the job's recorded error carries the code: %s", er.Error)
			}
			if !strings.Contains(er.Error, host) {
				t.Errorf("attempt %d failed with %q, want the connection error", er.Attempt, er.Error)
			}
		}
	})
}

// An operator can hand out the logged code, and once the SMTP server is
// back the retry delivers that same code.
func TestSendEmailCodeRetryDeliversLoggedCode(t *testing.T) {
	mp := mailpittest.Require(t)
	forEachBackend(t, func(t *testing.T, e *env) {
		relay := mp.NewStoppable(t)
		relay.Stop()
		logs := e.mailTo(t, relay.Host, relay.Port)
		retry := newGatedRetry(2)
		e.start(t, jobs.Options{RetryPolicy: retry})
		t.Cleanup(retry.Resume)

		address := mailpittest.Address("retry")
		auth := e.addCodeJob(t, "reggie", address, "")
		awaitHeld(t, retry, "the job did not fail twice", logs)
		lines := loggedCode.FindAllStringSubmatch(logs.String(), -1)
		if len(lines) == 0 {
			t.Fatalf("no operator line:\n%s", logs)
		}
		logged := lines[0][2]

		if err := relay.Start(); err != nil {
			t.Fatal(err)
		}
		retry.Resume()
		e.mailJob(t, kindEmailCode, auth.ID, rivertype.JobStateCompleted)
		m := mp.Wait(t, address, 1)[0]
		if !strings.HasPrefix(m.Subject, logged+" ") || !strings.Contains(m.Text, logged) {
			t.Errorf("delivered %q, want the logged code %s", m.Subject, logged)
		}
		if n := len(mp.Messages(t, address)); n != 1 {
			t.Errorf("%d mails, want 1", n)
		}
	})
}

// addRecovery stores a recovery session for address and enqueues its job.
func (e *env) addRecovery(t *testing.T, address, locale string) *domain.RecoverySession {
	t.Helper()
	ctx := context.Background()
	s := &domain.RecoverySession{Email: address, Locale: locale}
	err := store.WithTx(ctx, e.store, func(tx store.Tx) error {
		if err := tx.Recovery().AddSession(ctx, s); err != nil {
			return err
		}
		return tx.Jobs().Enqueue(ctx, domain.SendAccountRecoveryEmailsJob{RecoverySessionID: s.ID})
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// addUserWithEmail creates a user owning a confirmed address.
func (e *env) addUserWithEmail(t *testing.T, username, address string, locked bool) *domain.User {
	t.Helper()
	ctx := context.Background()
	u := e.addUser(t, username, nil)
	if _, err := e.store.UserEmails().Add(ctx, u.ID, address); err != nil {
		t.Fatal(err)
	}
	if locked {
		u.Lock(time.Now())
		if err := e.store.Users().Update(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

var ticketLink = regexp.MustCompile(regexp.QuoteMeta(publicBase+"account/password/recovery?ticket=") + `([A-Za-z0-9]+)`)

// Recovery mails a 10-minute ticket link to the address of an active
// account only, in the session's language; addresses nobody has, or a
// locked account's, get nothing, and nothing at INFO tells them apart.
func TestSendRecoveryEmail(t *testing.T) {
	mp := mailpittest.Require(t)
	forEachBackend(t, func(t *testing.T, e *env) {
		logs := e.mailTo(t, mp.SMTPHost, mp.SMTPPort)
		e.start(t, jobs.Options{})
		ctx := context.Background()

		alice := mailpittest.Address("alice")
		lockedAddr := mailpittest.Address("locked")
		nobody := mailpittest.Address("nobody")
		e.addUserWithEmail(t, "alice", alice, false)
		e.addUserWithEmail(t, "mallory", lockedAddr, true)

		// Typed in another case: addresses compare case-insensitively.
		forAlice := e.addRecovery(t, strings.ToUpper(alice), "fr")
		forLocked := e.addRecovery(t, lockedAddr, "")
		forNobody := e.addRecovery(t, nobody, "")
		for _, s := range []*domain.RecoverySession{forAlice, forLocked, forNobody} {
			e.mailJob(t, kindRecovery, s.ID, rivertype.JobStateCompleted)
		}

		m := mp.Wait(t, alice, 1)[0]
		if m.Subject != "Réinitialisez votre mot de passe sur Test Service" {
			t.Errorf("subject %q", m.Subject)
		}
		found := ticketLink.FindStringSubmatch(m.Text)
		if found == nil {
			t.Fatalf("no recovery link in:\n%s", m.Text)
		}
		if !strings.Contains(m.HTML, `href="`+found[0]+`"`) || !strings.Contains(m.Text, "Hello alice,") {
			t.Errorf("HTML lacks the link or the name:\n%s", m.HTML)
		}
		ticket, err := e.store.Recovery().FindTicket(ctx, found[1])
		if err != nil {
			t.Fatalf("the mailed ticket is not stored: %v", err)
		}
		if len(found[1]) != 32 || ticket.RecoverySessionID != forAlice.ID {
			t.Errorf("ticket %+v", ticket)
		}
		if left := time.Until(ticket.ExpiresAt); left < 9*time.Minute || left > 10*time.Minute {
			t.Errorf("ticket expires in %s, want 10 minutes", left)
		}
		u, _ := url.Parse(found[0])
		if u.Path != "/prefix"+routes.AccountPasswordRecovery {
			t.Errorf("link path %s", u.Path)
		}

		for _, addr := range []string{lockedAddr, nobody} {
			if n := len(mp.Messages(t, addr)); n != 0 {
				t.Errorf("%d mails to %s", n, addr)
			}
		}
		var info strings.Builder
		for _, l := range strings.Split(logs.String(), "\n") {
			if !strings.Contains(l, "level=DEBUG") {
				info.WriteString(l + "\n")
			}
		}
		for _, secret := range []string{nobody, lockedAddr, found[1], "no account"} {
			if strings.Contains(info.String(), secret) {
				t.Errorf("the log above debug level mentions %q:\n%s", secret, info.String())
			}
		}
		if !strings.Contains(logs.String(), "no account has this address") {
			t.Errorf("no debug line for the unknown address:\n%s", logs)
		}
	})
}

// A recovery mail that cannot be sent fails the job, to be retried; the
// link appears in no log line and no recorded error.
func TestSendRecoveryEmailWhenSMTPIsDown(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		host, port := mailpittest.Unreachable(t)
		logs := e.mailTo(t, host, port)
		retry := newGatedRetry(2)
		e.start(t, jobs.Options{RetryPolicy: retry})
		t.Cleanup(retry.Resume)

		e.addUserWithEmail(t, "alice", "alice@example.test", false)
		s := e.addRecovery(t, "alice@example.test", "")
		awaitHeld(t, retry, "the job did not fail twice", logs)
		row := e.mailJob(t, kindRecovery, s.ID, rivertype.JobStateRunning)
		for _, text := range append([]string{logs.String()}, errorsOf(row)...) {
			if strings.Contains(text, "ticket=") || strings.Contains(text, "password/recovery") {
				t.Errorf("the link leaked: %s", text)
			}
		}
	})
}

// awaitHeld waits until retry holds the job's failure, or fails the test
// saying what did not happen.
func awaitHeld(t *testing.T, retry *gatedRetry, what string, logs *logtest.Buffer) {
	t.Helper()
	select {
	case <-retry.held:
	case <-time.After(waitTimeout):
		t.Fatalf("%s:\n%s", what, logs)
	}
}

func errorsOf(row *rivertype.JobRow) []string {
	var out []string
	for _, e := range row.Errors {
		out = append(out, e.Error)
	}
	return out
}
