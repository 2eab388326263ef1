package policy

import "testing"

func TestAuthorizationGrantCountsSessions(t *testing.T) {
	var none *Engine
	if none.AuthorizationGrantCountsSessions() {
		t.Error("nil engine counts sessions")
	}
	plain, err := NewWithBase(Base{ServerName: "a.io"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plain.AuthorizationGrantCountsSessions() {
		t.Error("engine without a session limit counts sessions")
	}
	limited, err := NewWithBase(Base{ServerName: "a.io", SessionLimit: &SessionLimit{SoftLimit: 2, HardLimit: 3}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !limited.AuthorizationGrantCountsSessions() {
		t.Error("engine with a session limit does not count sessions")
	}
}

func TestCompatLoginCountsSessions(t *testing.T) {
	var none *Engine
	if none.CompatLoginCountsSessions() {
		t.Error("nil engine counts sessions")
	}
	if (&Engine{}).CompatLoginCountsSessions() {
		t.Error("zero engine counts sessions")
	}
	plain, err := NewWithBase(Base{ServerName: "a.io"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plain.CompatLoginCountsSessions() {
		t.Error("engine without a session limit counts sessions")
	}
	// API logins get the hard limit: a limit without a soft one counts too.
	hardOnly := engine(t, "{'session_limit': {'hard_limit': 1}}")
	if !hardOnly.CompatLoginCountsSessions() {
		t.Error("engine with a hard session limit does not count sessions")
	}
	if _, err := hardOnly.SetData("v2", []byte(`{"session_limit": null}`)); err != nil {
		t.Fatal(err)
	}
	if hardOnly.CompatLoginCountsSessions() {
		t.Error("engine whose dynamic data lifted the session limit still counts sessions")
	}
}
