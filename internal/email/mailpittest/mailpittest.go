// Package mailpittest gives tests a real SMTP server to send through:
// mailpit, started by scripts/test-services, which exports its SMTP
// address (MAS_TEST_SMTP) and API base URL (MAS_TEST_MAILPIT). Tests
// share one mailpit, so each sends to addresses of its own (Address) and
// reads back only what was sent to them.
package mailpittest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The variables scripts/test-services sets.
const (
	EnvSMTP = "MAS_TEST_SMTP"    // host:port of mailpit's SMTP listener
	EnvAPI  = "MAS_TEST_MAILPIT" // base URL of mailpit's HTTP API
)

// WaitTimeout bounds Wait. It is only a deadline: Wait returns as soon as
// the mail is there.
const WaitTimeout = 30 * time.Second

// Server is the shared mailpit.
type Server struct {
	// SMTPHost and SMTPPort are where to send; plain SMTP, no
	// authentication required (any credentials are accepted).
	SMTPHost string
	SMTPPort int
	// API is the HTTP API base URL, without a trailing slash.
	API    string
	client *http.Client
}

// Require returns the shared mailpit. Without MAS_TEST_SMTP and
// MAS_TEST_MAILPIT the test is skipped, loudly; under CI=true it fails
// instead, as CI must run every test.
func Require(tb testing.TB) *Server {
	tb.Helper()
	smtpAddr, api := os.Getenv(EnvSMTP), os.Getenv(EnvAPI)
	if smtpAddr == "" || api == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s and %s are not set: mail tests must run in CI", EnvSMTP, EnvAPI)
		}
		tb.Skipf("SKIPPING mail test: set %s (host:port) and %s (API URL) to a mailpit; "+
			"`eval \"$(scripts/test-services --env)\"` installs, starts and sets them", EnvSMTP, EnvAPI)
	}
	host, portText, err := net.SplitHostPort(smtpAddr)
	if err != nil {
		tb.Fatalf("%s=%q: %v", EnvSMTP, smtpAddr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		tb.Fatalf("%s=%q: bad port", EnvSMTP, smtpAddr)
	}
	return &Server{
		SMTPHost: host, SMTPPort: port,
		API:    strings.TrimSuffix(api, "/"),
		client: &http.Client{Timeout: 10 * time.Second},
	}
}

// SMTPAddr is host:port of the SMTP listener.
func (s *Server) SMTPAddr() string { return net.JoinHostPort(s.SMTPHost, strconv.Itoa(s.SMTPPort)) }

// Address returns a recipient address no other test uses, with local
// (letters, digits, dots, dashes) in front for readability.
func Address(local string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(local) + "-" + hex.EncodeToString(b[:]) + "@mail.test"
}

// Addr is a mailbox in mailpit's answers.
type Addr struct {
	Name    string
	Address string
}

// Message is one received mail.
type Message struct {
	ID      string
	From    Addr
	To      []Addr
	ReplyTo []Addr
	Subject string
	// Text and HTML are the two parts, with \n line ends.
	Text string
	HTML string
	// Headers are the raw headers, by canonical name.
	Headers map[string][]string
}

// Messages returns what was sent to addr, oldest first.
func (s *Server) Messages(tb testing.TB, addr string) []Message {
	tb.Helper()
	var found struct {
		Messages []struct {
			ID string
			To []Addr
		} `json:"messages"`
	}
	query := url.Values{"query": {`to:"` + addr + `"`}, "limit": {"1000"}}
	s.getJSON(tb, "/api/v1/search?"+query.Encode(), &found)
	var out []Message
	// The search is newest first and matches substrings; keep exact
	// recipients, oldest first.
	for i := len(found.Messages) - 1; i >= 0; i-- {
		m := found.Messages[i]
		if !hasRecipient(m.To, addr) {
			continue
		}
		var full Message
		s.getJSON(tb, "/api/v1/message/"+url.PathEscape(m.ID), &full)
		s.getJSON(tb, "/api/v1/message/"+url.PathEscape(m.ID)+"/headers", &full.Headers)
		// Mail travels with CRLF line ends; tests compare with \n.
		full.Text = strings.ReplaceAll(full.Text, "\r\n", "\n")
		full.HTML = strings.ReplaceAll(full.HTML, "\r\n", "\n")
		out = append(out, full)
	}
	return out
}

// Wait waits until n messages were sent to addr and returns them, oldest
// first; it fails the test after WaitTimeout.
func (s *Server) Wait(tb testing.TB, addr string, n int) []Message {
	tb.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for {
		got := s.Messages(tb, addr)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %d mails to %s; %d arrived", WaitTimeout, n, addr, len(got))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func hasRecipient(to []Addr, addr string) bool {
	for _, a := range to {
		if strings.EqualFold(a.Address, addr) {
			return true
		}
	}
	return false
}

func (s *Server) getJSON(tb testing.TB, path string, into any) {
	tb.Helper()
	resp, err := s.client.Get(s.API + path)
	if err != nil {
		tb.Fatalf("mailpit API: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("mailpit API %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("mailpit API %s: %s: %s", path, resp.Status, body)
	}
	if err := json.Unmarshal(body, into); err != nil {
		tb.Fatalf("mailpit API %s: %v: %s", path, err, body)
	}
}

// Unreachable returns a loopback host and port where nothing listens: a
// port that was just bound and released, so connecting is refused at
// once. It stands for an SMTP server that is down.
func Unreachable(tb testing.TB) (host string, port int) {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr)
	if err := l.Close(); err != nil {
		tb.Fatal(err)
	}
	return addr.IP.String(), addr.Port
}

// Stoppable is an SMTP relay in front of the shared mailpit that a test
// can stop and start again: the service's configuration points at it,
// and while it is stopped connections are refused, as with a mail server
// that is down.
type Stoppable struct {
	Host string
	Port int

	target string
	ln     net.Listener
	stop   chan struct{}
}

// NewStoppable starts a relay to s on a free loopback port; it runs until
// Stop or the end of the test.
func (s *Server) NewStoppable(tb testing.TB) *Stoppable {
	tb.Helper()
	p := &Stoppable{target: s.SMTPAddr()}
	if err := p.listen("127.0.0.1:0"); err != nil {
		tb.Fatal(err)
	}
	addr := p.ln.Addr().(*net.TCPAddr)
	p.Host, p.Port = addr.IP.String(), addr.Port
	tb.Cleanup(p.Stop)
	return p
}

// Addr is host:port of the relay.
func (p *Stoppable) Addr() string { return net.JoinHostPort(p.Host, strconv.Itoa(p.Port)) }

// Stop closes the listener; new connections are refused. Connections in
// progress finish.
func (p *Stoppable) Stop() {
	if p.ln != nil {
		p.ln.Close()
		<-p.stop
		p.ln = nil
	}
}

// Start listens again on the same port.
func (p *Stoppable) Start() error {
	if p.ln != nil {
		return nil
	}
	return p.listen(p.Addr())
}

func (p *Stoppable) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("mailpittest: %w", err)
	}
	p.ln, p.stop = ln, make(chan struct{})
	go p.serve(ln, p.stop)
	return nil
}

func (p *Stoppable) serve(ln net.Listener, stopped chan struct{}) {
	defer close(stopped)
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go p.relay(c)
	}
}

func (p *Stoppable) relay(c net.Conn) {
	defer c.Close()
	up, err := net.DialTimeout("tcp", p.target, 10*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}
