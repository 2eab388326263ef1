package policy

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestNewMalformedData(t *testing.T) {
	tests := []struct {
		data string
		want []string // substrings of the error, one per problem
	}{
		{"[1]", []string{"policy data: must be an object, got array"}},
		{"'x'", []string{"policy data: must be an object, got string"}},
		{"{", []string{"policy data: invalid JSON"}},
		{"{} {}", []string{"trailing data"}},
		{"{'server_name': 1}", []string{"policy data: server_name: must be a string, got number"}},
		{"{'admin_users': 'john'}", []string{"admin_users: must be an array of strings, got string"}},
		{"{'admin_users': ['john', 2]}", []string{"admin_users[1]: must be a string, got number"}},
		{"{'admin_clients': {}}", []string{"admin_clients: must be an array of strings, got object"}},
		{"{'token_exchange_clients': [null]}", []string{"token_exchange_clients[0]: must be a string, got null"}},
		{"{'client_registration': true}", []string{"client_registration: must be an object, got boolean"}},
		{"{'client_registration': {'allow_host_mismatch': 'yes'}}", []string{"client_registration.allow_host_mismatch: must be a boolean, got string"}},
		{"{'client_registration': {'allow_insecure_uris': 1}}", []string{"client_registration.allow_insecure_uris: must be a boolean, got number"}},
		{"{'client_registration': {'allow_missing_client_uri': []}}", []string{"client_registration.allow_missing_client_uri: must be a boolean, got array"}},
		{"{'registration': []}", []string{"registration: must be an object, got array"}},
		{"{'registration': {'allowed_usernames': ['a']}}", []string{"registration.allowed_usernames: must be an object, got array"}},
		{"{'registration': {'banned_usernames': {'literals': 'a'}}}", []string{"registration.banned_usernames.literals: must be an array of strings, got string"}},
		{"{'registration': {'banned_usernames': {'regexes': ['(']}}}", []string{"registration.banned_usernames.regexes[0]: invalid regular expression \"(\""}},
		{"{'registration': {'banned_usernames': {'regexes': ['ok', 'a{2,1}']}}}", []string{"registration.banned_usernames.regexes[1]: invalid regular expression"}},
		{"{'emails': {'allowed_addresses': {'prefixes': [1]}}}", []string{"emails.allowed_addresses.prefixes[0]: must be a string, got number"}},
		{"{'emails': {'banned_addresses': {'regexes': ['(?<name>x)', '[']}}}", []string{"emails.banned_addresses.regexes[1]: invalid regular expression"}},
		{"{'emails': 'x'}", []string{"emails: must be an object, got string"}},
		{"{'allowed_domains': 'example.com'}", []string{"allowed_domains: must be an array of strings, got string"}},
		{"{'allowed_domains': ['[a']}", []string{"allowed_domains[0]: invalid glob \"[a\""}},
		{"{'banned_domains': ['ok', '{a,b']}", []string{"banned_domains[1]: invalid glob \"{a,b\": unclosed {"}},
		{"{'requester': {'banned_ips': ['10.0.0.0/33']}}", []string{"requester.banned_ips[0]: \"10.0.0.0/33\" is not an IP address or CIDR range"}},
		{"{'requester': {'banned_ips': ['localhost']}}", []string{"requester.banned_ips[0]: \"localhost\" is not an IP address or CIDR range"}},
		{"{'requester': {'banned_ips': '10.0.0.1'}}", []string{"requester.banned_ips: must be an array of strings"}},
		{"{'requester': {'banned_user_agents': ['curl']}}", []string{"requester.banned_user_agents: must be an object, got array"}},
		{"{'requester': {'banned_user_agents': {'regexes': ['\\\\']}}}", []string{"requester.banned_user_agents.regexes[0]: invalid regular expression"}},
		{"{'session_limit': 5}", []string{"session_limit: must be an object, got number"}},
		{"{'session_limit': {'soft_limit': '5'}}", []string{"session_limit.soft_limit: must be an integer, got string"}},
		{"{'session_limit': {'hard_limit': 1.5}}", []string{"session_limit.hard_limit: must be an integer, got 1.5"}},
		{"{'session_limit': {'soft_limit': -1}}", []string{"session_limit.soft_limit: must not be negative, got -1"}},
		{"{'session_limit': {'max_session_threshold': true}}", []string{"session_limit.max_session_threshold: must be an integer, got boolean"}},
		{"{'session_limit': {'soft_limit': 1, 'dangerous_hard_limit_eviction': 'no'}}", []string{"session_limit.dangerous_hard_limit_eviction: must be a boolean, got string"}},
		// Every problem is reported, not just the first.
		{"{'admin_users': 1, 'requester': {'banned_ips': ['x', 'y']}, 'session_limit': {'soft_limit': 'a'}}", []string{
			"admin_users: must be an array of strings, got number",
			"requester.banned_ips[0]",
			"requester.banned_ips[1]",
			"session_limit.soft_limit",
		}},
	}
	for _, tt := range tests {
		_, err := New(json.RawMessage(strings.ReplaceAll(tt.data, "'", `"`)))
		if err == nil {
			t.Errorf("New(%s) succeeded", tt.data)
			continue
		}
		var de *DataError
		if !errors.As(err, &de) {
			t.Errorf("New(%s): %v is not a *DataError", tt.data, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("New(%s) = %q, want it to mention %q", tt.data, err, w)
			}
		}
		if n := strings.Count(err.Error(), "policy data"); n != len(tt.want) {
			t.Errorf("New(%s) = %q: %d problems, want %d", tt.data, err, n, len(tt.want))
		}
	}
}

func TestNewAcceptedData(t *testing.T) {
	for _, data := range []string{
		"",
		"  ",
		"null",
		"{}",
		// Unknown keys are left to custom policies and ignored.
		"{'custom': [1, 'two'], 'client_registration': {'other': 1}, 'requester': {'other': 'x'}}",
		// Null is unset everywhere.
		"{'server_name': null, 'admin_users': null, 'client_registration': null, 'registration': {'allowed_usernames': null}, 'session_limit': null, 'requester': null}",
		"{'session_limit': {'soft_limit': 3.0, 'hard_limit': 1e2, 'max_session_threshold': null, 'dangerous_hard_limit_eviction': true}}",
		"{'requester': {'banned_ips': ['10.0.0.1', '10.0.0.0/8', '::1', '2001:db8::/32', '::ffff:1.2.3.4']}}",
		"{'requester': {'banned_user_agents': {'literals': [], 'substrings': ['x'], 'regexes': ['(?i)bot'], 'prefixes': ['a'], 'suffixes': ['z']}}}",
	} {
		if _, err := New(json.RawMessage(strings.ReplaceAll(data, "'", `"`))); err != nil {
			t.Errorf("New(%q): %v", data, err)
		}
	}
}

func TestSessionLimitNumbers(t *testing.T) {
	e := engine(t, "{'session_limit': {'soft_limit': 3.0, 'hard_limit': 1e2, 'max_session_threshold': 9007199254740993}}")
	sl := e.k.sessionLimit
	if *sl.soft != 3 || *sl.hard != 100 || *sl.maxThreshold != 9007199254740993 {
		t.Errorf("limits = %d, %d, %d", *sl.soft, *sl.hard, *sl.maxThreshold)
	}
}

func TestMerge(t *testing.T) {
	dec := func(s string) any {
		var v any
		d := json.NewDecoder(strings.NewReader(strings.ReplaceAll(s, "'", `"`)))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		left, right, want string
	}{
		{"{'hello': 'world'}", "{'foo': 'bar'}", "{'hello': 'world', 'foo': 'bar'}"},
		{"{'hello': 'world'}", "{'hello': 'john'}", "{'hello': 'john'}"},
		{"{'hello': true}", "{'hello': false}", "{'hello': false}"},
		{"{'hello': 0}", "{'hello': 42}", "{'hello': 42}"},
		{"{'hello': ['world']}", "{'hello': ['john']}", "{'hello': ['world', 'john']}"},
		{"{'hello': 'world'}", "{'hello': null}", "{'hello': null}"},
		{"{'hello': null}", "{'hello': 'world'}", "{'hello': 'world'}"},
		{"{'hello': null}", "{'hello': {'a': 1}}", "{'hello': {'a': 1}}"},
		{"{'a': {'b': {'c': 'd'}}}", "{'a': {'b': {'e': 'f'}}}", "{'a': {'b': {'c': 'd', 'e': 'f'}}}"},
		{"{'a': {'b': [1]}}", "{'a': {'b': [2], 'c': 3}}", "{'a': {'b': [1, 2], 'c': 3}}"},
	}
	for _, tt := range tests {
		left := dec(tt.left)
		leftCopy := dec(tt.left)
		got, err := Merge(left, dec(tt.right))
		if err != nil {
			t.Errorf("Merge(%s, %s): %v", tt.left, tt.right, err)
			continue
		}
		if !reflect.DeepEqual(got, dec(tt.want)) {
			t.Errorf("Merge(%s, %s) = %v, want %s", tt.left, tt.right, got, tt.want)
		}
		if !reflect.DeepEqual(left, leftCopy) {
			t.Errorf("Merge(%s, %s) modified its left argument: %v", tt.left, tt.right, left)
		}
	}

	errs := []struct{ left, right, want string }{
		{"{'hello': 'world'}", "{'hello': 123}", "policy data: hello: cannot merge a number into a string"},
		{"{'a': {'b': ['x']}}", "{'a': {'b': {'c': 1}}}", "policy data: a.b: cannot merge a object into a array"},
		{"{'a': {}}", "{'a': []}", "policy data: a: cannot merge a array into a object"},
		{"{'a': true}", "{'a': 'true'}", "policy data: a: cannot merge a string into a boolean"},
	}
	for _, tt := range errs {
		_, err := Merge(dec(tt.left), dec(tt.right))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Merge(%s, %s) error = %v, want %q", tt.left, tt.right, err, tt.want)
		}
	}
}

func TestWithData(t *testing.T) {
	static := engine(t, "{'emails': {'banned_addresses': {'literals': ['a@example.com']}}}")
	in := func(email string) EmailInput { return EmailInput{Email: email} }

	if vs := static.Email(in("hello@example.com")); len(vs) != 0 {
		t.Fatalf("static: %+v", vs)
	}
	dyn, err := static.WithData(json.RawMessage(`{"emails": {"banned_addresses": {"substrings": ["hello"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	// Dynamic data adds to the static lists; the static engine is unchanged.
	if vs := dyn.Email(in("hello@example.com")); len(vs) != 1 {
		t.Errorf("dynamic, hello: %+v", vs)
	}
	if vs := dyn.Email(in("a@example.com")); len(vs) != 1 {
		t.Errorf("dynamic, static ban: %+v", vs)
	}
	if vs := static.Email(in("hello@example.com")); len(vs) != 0 {
		t.Errorf("static after WithData: %+v", vs)
	}

	// A later version replaces the earlier one rather than piling on it.
	dyn2, err := dyn.WithData(json.RawMessage(`{"emails": {"banned_addresses": {"literals": ["b@example.com"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if vs := dyn2.Email(in("hello@example.com")); len(vs) != 0 {
		t.Errorf("second version still bans hello: %+v", vs)
	}
	if vs := dyn2.Email(in("b@example.com")); len(vs) != 1 {
		t.Errorf("second version, b: %+v", vs)
	}
	if vs := dyn2.Email(in("a@example.com")); len(vs) != 1 {
		t.Errorf("second version lost the static ban: %+v", vs)
	}

	// Null removes a static key.
	cleared, err := static.WithData(json.RawMessage(`{"emails": {"banned_addresses": null}}`))
	if err != nil {
		t.Fatal(err)
	}
	if vs := cleared.Email(in("a@example.com")); len(vs) != 0 {
		t.Errorf("cleared: %+v", vs)
	}

	// Bad updates are errors that name the key.
	for dynamic, want := range map[string]string{
		`{"emails": []}`:              "policy data: emails: cannot merge a array into a object",
		`{"allowed_domains": ["[x"]}`: `policy data: allowed_domains[0]: invalid glob "[x"`,
		`[]`:                          "policy data: must be an object, got array",
		`{"emails": {"banned_addresses": {"regexes": ["("]}}}`: "emails.banned_addresses.regexes[0]: invalid regular expression",
	} {
		if _, err := static.WithData(json.RawMessage(dynamic)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("WithData(%s) error = %v, want %q", dynamic, err, want)
		}
	}

	m, err := static.WithDataMap(map[string]any{"emails": map[string]any{"banned_addresses": map[string]any{"prefixes": []string{"hel"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if vs := m.Email(in("hello@example.com")); len(vs) != 1 {
		t.Errorf("WithDataMap: %+v", vs)
	}

	var zero Engine
	z, err := zero.WithData(json.RawMessage(`{"admin_users": ["john"]}`))
	if err != nil || len(z.k.adminUsers) != 1 {
		t.Errorf("zero.WithData = %v, %v", z, err)
	}
}

func TestNewWithBase(t *testing.T) {
	base := Base{ServerName: "a.io", SessionLimit: &SessionLimit{SoftLimit: 2, HardLimit: 3}}
	e, err := NewWithBase(base, json.RawMessage(`{"admin_users": ["john"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !e.k.hasServerName || e.k.serverName != "a.io" || len(e.k.adminUsers) != 1 {
		t.Errorf("knobs = %+v", e.k)
	}
	if sl := e.k.sessionLimit; sl == nil || *sl.soft != 2 || *sl.hard != 3 || sl.maxThreshold != nil {
		t.Errorf("session limit = %+v", sl)
	}
	vs := e.CompatLogin(CompatLoginInput{SessionCounts: SessionCounts{Total: 3}, Login: CompatLogin{Type: LoginTypePassword}})
	wantMsgs(t, vs, msgTooManySessionsHard)

	// The operator's data is merged over the injected values.
	e, err = NewWithBase(base, json.RawMessage(`{"server_name": "b.io", "session_limit": {"max_session_threshold": 10}}`))
	if err != nil {
		t.Fatal(err)
	}
	if e.k.serverName != "b.io" || *e.k.sessionLimit.maxThreshold != 10 || *e.k.sessionLimit.soft != 2 {
		t.Errorf("override: %+v %+v", e.k, e.k.sessionLimit)
	}
	// ... and the injected values survive dynamic data.
	e, err = e.WithData(json.RawMessage(`{"admin_clients": ["c"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if e.k.serverName != "b.io" || e.k.sessionLimit == nil {
		t.Errorf("after WithData: %+v", e.k)
	}

	// Without a session limit the base sets it to null, which a policy.data
	// session_limit object replaces.
	e, err = NewWithBase(Base{ServerName: "a.io", SessionLimit: &SessionLimit{SoftLimit: 1, HardLimit: 1, MaxSessionThreshold: 5}}, nil)
	if err != nil || *e.k.sessionLimit.maxThreshold != 5 {
		t.Errorf("threshold: %v %+v", err, e.k.sessionLimit)
	}
	e, err = NewWithBase(Base{ServerName: "a.io"}, nil)
	if err != nil || e.k.sessionLimit != nil {
		t.Errorf("no limit: %v %+v", err, e.k.sessionLimit)
	}
	if _, err := NewWithBase(Base{ServerName: "a.io"}, json.RawMessage(`{"server_name": 5}`)); err == nil ||
		err.Error() != "policy data: server_name: cannot merge a number into a string" {
		t.Errorf("bad override: %v", err)
	}
}

func TestNewFromMap(t *testing.T) {
	// As decoded from YAML: plain Go ints, typed slices.
	e, err := NewFromMap(map[string]any{
		"admin_users":   []string{"john"},
		"session_limit": map[string]any{"soft_limit": 2, "hard_limit": uint64(4)},
		"registration":  map[string]any{"banned_usernames": map[string]any{"literals": []any{"root"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if *e.k.sessionLimit.soft != 2 || *e.k.sessionLimit.hard != 4 || !e.k.bannedUsernames.matches("root") {
		t.Errorf("knobs = %+v", e.k)
	}
	if _, err := NewFromMap(nil); err != nil {
		t.Errorf("NewFromMap(nil): %v", err)
	}
	if _, err := NewFromMap(map[string]any{"x": make(chan int)}); err == nil {
		t.Error("NewFromMap accepted a channel")
	}
	if _, err := NewFromMap(map[string]any{"admin_users": "john"}); err == nil || !strings.Contains(err.Error(), "admin_users") {
		t.Errorf("NewFromMap bad type: %v", err)
	}
}

func TestViolationJSON(t *testing.T) {
	tests := []struct {
		v    Violation
		want string
	}{
		{Violation{Msg: "m"}, `{"msg":"m"}`},
		{Violation{Msg: "m", Code: "c", Field: "f"}, `{"msg":"m","code":"c","field":"f"}`},
		{Violation{Msg: "invalid redirect_uri", RedirectURI: "x:/"}, `{"msg":"invalid redirect_uri","redirect_uri":"x:/"}`},
		{Violation{Msg: "m", Code: CodeTooManySessions, NeedToRemove: 3}, `{"msg":"m","code":"too-many-sessions","need_to_remove":3}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.v)
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tt.v, b, err, tt.want)
		}
		var back Violation
		if err := json.Unmarshal(b, &back); err != nil || back != tt.v {
			t.Errorf("round trip of %s = %+v, %v", b, back, err)
		}
	}
}
