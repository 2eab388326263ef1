package policy

import (
	"slices"
	"testing"
)

func TestCompatLoginSessionLimit(t *testing.T) {
	const limits = "{'session_limit': {'soft_limit': 32, 'hard_limit': 64}}"
	const threshold = "{'session_limit': {'soft_limit': 32, 'hard_limit': 64, 'max_session_threshold': 100}}"
	soft := func(n int) []Violation {
		return []Violation{{Msg: "user has too many active sessions (soft limit)", Code: CodeTooManySessions, NeedToRemove: n}}
	}
	hard := func(n int) []Violation {
		return []Violation{{Msg: "user has too many active sessions (hard limit)", Code: CodeTooManySessions, NeedToRemove: n}}
	}
	tests := []struct {
		name     string
		data     string
		login    string
		total    int64
		replaced bool
		want     []Violation
	}{
		{"sso, under", limits, LoginTypeSSO, 1, false, nil},
		{"sso, just under soft", limits, LoginTypeSSO, 31, false, nil},
		{"sso, at soft", limits, LoginTypeSSO, 32, false, soft(1)},
		{"sso, over soft", limits, LoginTypeSSO, 42, false, soft(11)},
		{"sso, over hard", limits, LoginTypeSSO, 65, false, soft(34)},
		{"sso, no limit", "{'session_limit': null}", LoginTypeSSO, 1000, false, nil},
		{"sso, replacing a session", limits, LoginTypeSSO, 65, true, nil},

		{"password, under", limits, LoginTypePassword, 1, false, nil},
		{"password, over soft", limits, LoginTypePassword, 63, false, nil},
		{"password, at hard", limits, LoginTypePassword, 64, false, hard(1)},
		{"password, over hard", limits, LoginTypePassword, 65, false, hard(2)},
		{"password, no limit", "{'session_limit': null}", LoginTypePassword, 1000, false, nil},
		{"password, no limit key", "", LoginTypePassword, 1000, false, nil},
		{"password, replacing a session", limits, LoginTypePassword, 65, true, nil},

		// Finishing an SSO login through the API is not interactive.
		{"token, over soft", limits, LoginTypeToken, 63, false, nil},
		{"token, at hard", limits, LoginTypeToken, 64, false, hard(1)},
		{"unknown type counts as non-interactive", limits, "m.login.foo", 64, false, hard(1)},

		{"threshold, sso under it", threshold, LoginTypeSSO, 50, false, soft(19)},
		{"threshold, password at it", threshold, LoginTypePassword, 100, false, hard(37)},
		{"threshold, sso past it", threshold, LoginTypeSSO, 101, false, nil},
		{"threshold, password past it", threshold, LoginTypePassword, 101, false, nil},

		{"limit without hard_limit", "{'session_limit': {'soft_limit': 1}}", LoginTypePassword, 1000, false, nil},
		{"limit without soft_limit", "{'session_limit': {'hard_limit': 1}}", LoginTypeSSO, 1000, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := engine(t, tt.data).CompatLogin(CompatLoginInput{
				User:            User{ID: "01USER", Username: "john"},
				SessionCounts:   SessionCounts{Total: tt.total},
				SessionReplaced: tt.replaced,
				Login:           CompatLogin{Type: tt.login, RedirectURI: "https://client.example/cb"},
			})
			if !slices.Equal(vs, tt.want) {
				t.Errorf("violations = %+v, want %+v", vs, tt.want)
			}
		})
	}
}

func TestCompatLoginRequester(t *testing.T) {
	e := engine(t, "{'requester': {'banned_ips': ['2001:db8::/32']}, 'session_limit': {'soft_limit': 1, 'hard_limit': 1}}")
	vs := e.CompatLogin(CompatLoginInput{
		User:          User{Username: "john"},
		SessionCounts: SessionCounts{Total: 5},
		Login:         CompatLogin{Type: LoginTypePassword},
		Requester:     Requester{IPAddress: addr("2001:db8::42"), UserAgent: "Element/1.0"},
	})
	wantMsgs(t, vs,
		"Requester [2001:db8::42 / Element/1.0] isn't allowed to do this action",
		"user has too many active sessions (hard limit)",
	)
}
