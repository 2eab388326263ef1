package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"mas/internal/app"
	"mas/internal/email/mailpittest"
	"mas/internal/logtest"
)

const internalListener = `http:
  public_base: http://127.0.0.1/
  listeners:
    - name: internal
      resources: [{name: health}]
      binds: [{address: "127.0.0.1:0"}]
`

// startLogged starts the server with its worker and returns its log.
func startLogged(t *testing.T, extra string) *logtest.Buffer {
	t.Helper()
	cfg := testConfig(t, internalListener+extra)
	logs := &logtest.Buffer{Out: t.Output()}
	a, err := app.Open(t.Context(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv, err := a.StartServer(t.Context(), app.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop(context.Background()) })
	return logs
}

const mailWarning = "cannot reach the mail server"

// An SMTP server that cannot be reached is one WARN line at start, and
// the start does not wait for it.
func TestStartupWarnsWhenSMTPIsUnreachable(t *testing.T) {
	host, port := mailpittest.Unreachable(t)
	logs := startLogged(t, fmt.Sprintf("email:\n  transport: smtp\n  mode: plain\n  hostname: %s\n  port: %d\n", host, port))
	waitLog(t, logs, mailWarning)
	var lines []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, mailWarning) {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], fmt.Sprintf("%s:%d", host, port)) {
		t.Errorf("want one WARN line naming the relay, got:\n%s", strings.Join(lines, "\n"))
	}
}

// A reachable server says so once checked, without a warning.
func TestStartupQuietWhenMailWorks(t *testing.T) {
	mp := mailpittest.Require(t)
	logs := startLogged(t, fmt.Sprintf("email:\n  transport: smtp\n  mode: plain\n  hostname: %s\n  port: %d\n", mp.SMTPHost, mp.SMTPPort))
	waitLog(t, logs, "the mail server is reachable")
	if strings.Contains(logs.String(), mailWarning) {
		t.Errorf("unexpected warning:\n%s", logs)
	}
}

func waitLog(t *testing.T, logs *logtest.Buffer, text string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q line:\n%s", text, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The doctor learns the transport, where it goes and what needs it.
func TestDoctorMail(t *testing.T) {
	cfg := testConfig(t, internalListener+`email:
  transport: smtp
  mode: starttls
  hostname: mail.example.org
  username: alice
  password: s3cret
account:
  password_registration_enabled: true
  password_recovery_enabled: true
`)
	m, err := app.DoctorMail(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if m.Transport != "smtp" || m.Target != "SMTP relay mail.example.org:587 (starttls, as alice)" || m.Check == nil || len(m.NeededBy) != 2 {
		t.Errorf("doctor mail = %+v", m)
	}
	m, err = app.DoctorMail(testConfig(t, internalListener))
	if err != nil {
		t.Fatal(err)
	}
	if m.Transport != "blackhole" || m.Check != nil || len(m.NeededBy) != 0 {
		t.Errorf("default doctor mail = %+v", m)
	}
}
