package mailpittest_test

import (
	"testing"

	"mas/internal/email"
	"mas/internal/email/mailpittest"
)

// The stoppable relay passes mail on to mailpit, refuses connections while
// stopped, and works again once started.
func TestStoppable(t *testing.T) {
	mp := mailpittest.Require(t)
	relay := mp.NewStoppable(t)
	m, err := email.New(email.Options{Transport: email.TransportSMTP, Mode: email.ModePlain,
		Hostname: relay.Host, Port: relay.Port, From: "noreply@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	to := mailpittest.Address("stoppable")
	if to == mailpittest.Address("stoppable") {
		t.Fatal("Address repeats itself")
	}
	msg := email.Message{To: to, Subject: "first", Text: "one"}
	if err := m.Send(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	relay.Stop()
	msg.Subject = "while stopped"
	if err := m.Send(t.Context(), msg); err == nil {
		t.Fatal("sent through a stopped relay")
	}
	if err := relay.Start(); err != nil {
		t.Fatal(err)
	}
	msg.Subject = "second"
	if err := m.Send(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	got := mp.Wait(t, to, 2)
	if len(got) != 2 || got[0].Subject != "first" || got[1].Subject != "second" || got[0].Text != "one\n" {
		t.Fatalf("received %+v", got)
	}
}
