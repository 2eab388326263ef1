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
