package policy

import (
	"slices"
	"strings"
	"testing"
)

func TestRegisterUsername(t *testing.T) {
	tooShort := Violation{Msg: "username too short", Code: CodeUsernameTooShort, Field: "username"}
	tooLong := Violation{Msg: "username too long", Code: CodeUsernameTooLong, Field: "username"}
	numeric := Violation{Msg: "username must contain at least one non-numeric character", Code: CodeUsernameAllNumeric, Field: "username"}
	invalid := Violation{Msg: "username contains invalid characters", Code: CodeUsernameInvalidChars, Field: "username"}
	banned := Violation{Msg: "username is banned", Code: CodeUsernameBanned, Field: "username"}
	notAllowed := Violation{Msg: "username is not allowed", Code: CodeUsernameNotAllowed, Field: "username"}

	tests := []struct {
		name     string
		data     string
		username string
		want     []Violation
	}{
		{"valid", "", "hello", nil},
		{"every allowed character", "", "az09.=_/+-", nil},
		{"empty", "", "", []Violation{tooShort, invalid}},
		{"space", "", "hello world", []Violation{invalid}},
		{"uppercase", "", "Hello", []Violation{invalid}},
		{"colon", "", "a:b", []Violation{invalid}},
		{"at sign", "", "@a", []Violation{invalid}},
		{"non-ASCII", "", "héllo", []Violation{invalid}},
		{"trailing newline", "", "hello\n", []Violation{invalid}},
		{"all numeric", "", "1234", []Violation{numeric}},
		{"numeric with newline", "", "1234\n", []Violation{invalid}},
		{"numeric with a letter", "", "1234a", nil},

		// "@" + 249 + ":matrix.org" = 261 characters; ":a.io" makes exactly 255.
		{"too long", "{'server_name': 'matrix.org'}", strings.Repeat("a", 249), []Violation{tooLong}},
		{"exactly 255", "{'server_name': 'a.io'}", strings.Repeat("a", 249), nil},
		{"256", "{'server_name': 'a.io'}", strings.Repeat("a", 250), []Violation{tooLong}},
		{"length counts characters, not bytes", "{'server_name': 'é.io'}", strings.Repeat("a", 249), nil},
		{"no server name, no length check", "", strings.Repeat("a", 1000), nil},
		{"null server name, no length check", "{'server_name': null}", strings.Repeat("a", 1000), nil},

		{"allowed literal", "{'registration': {'allowed_usernames': {'literals': ['hello']}}}", "hello", nil},
		{"not allowed literal", "{'registration': {'allowed_usernames': {'literals': ['world']}}}", "hello", []Violation{notAllowed}},
		{"allowed prefix", "{'registration': {'allowed_usernames': {'prefixes': ['he']}}}", "hello", nil},
		{"allowed regex", "{'registration': {'allowed_usernames': {'regexes': ['^h.*o$']}}}", "hello", nil},
		{"empty allow-list refuses all", "{'registration': {'allowed_usernames': {}}}", "hello", []Violation{notAllowed}},
		{"null allow-list allows all", "{'registration': {'allowed_usernames': null}}", "hello", nil},
		{"banned literal", "{'registration': {'banned_usernames': {'literals': ['hello']}}}", "hello", []Violation{banned}},
		{"other banned literal", "{'registration': {'banned_usernames': {'literals': ['world']}}}", "hello", nil},
		{"banned substring", "{'registration': {'banned_usernames': {'substrings': ['admin']}}}", "myadmin1", []Violation{banned}},
		{"banned suffix", "{'registration': {'banned_usernames': {'suffixes': ['bot']}}}", "newsbot", []Violation{banned}},
		{"banned regex", "{'registration': {'banned_usernames': {'regexes': ['^[0-9]+x$']}}}", "12x", []Violation{banned}},
		{"banned and not allowed", "{'registration': {'banned_usernames': {'literals': ['hello']}, 'allowed_usernames': {'literals': ['world']}}}", "hello", []Violation{banned, notAllowed}},
		{"empty and not allowed", "{'registration': {'allowed_usernames': {'literals': ['world']}}}", "", []Violation{tooShort, invalid, notAllowed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := engine(t, tt.data).Register(RegisterInput{RegistrationMethod: RegistrationMethodUpstreamOAuth2, Username: tt.username})
			if !slices.Equal(vs, tt.want) {
				t.Errorf("violations = %+v, want %+v", vs, tt.want)
			}
		})
	}
}

func TestRegisterMethodAndEmail(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		method string
		email  string
		want   []Violation
	}{
		{"password with email", "", RegistrationMethodPassword, "hello@staging.element.io", nil},
		// Whether password registration needs an email is the handler's
		// business (account.password_registration_email_required).
		{"password without email", "", RegistrationMethodPassword, "", nil},
		{"upstream without email", "", RegistrationMethodUpstreamOAuth2, "", nil},
		{"no method", "", "", "", []Violation{{Msg: "unspecified registration method"}, {Msg: "unknown registration method"}}},
		{"unknown method", "", "sso", "", []Violation{{Msg: "unknown registration method"}}},
		{"allowed domain", "{'allowed_domains': ['*.element.io']}", RegistrationMethodPassword, "hello@staging.element.io", nil},
		{"domain not allowed", "{'allowed_domains': ['example.com']}", RegistrationMethodPassword, "hello@staging.element.io", []Violation{
			{Msg: "email domain is not allowed", Code: CodeEmailDomainNotAllowed, Field: "email"},
		}},
		{"banned domain", "{'banned_domains': ['*.element.io']}", RegistrationMethodPassword, "hello@staging.element.io", []Violation{
			{Msg: "email domain is banned", Code: CodeEmailDomainBanned, Field: "email"},
		}},
		{"banned subdomain of an allowed domain", "{'allowed_domains': ['*.element.io'], 'banned_domains': ['staging.element.io']}", RegistrationMethodPassword, "hello@staging.element.io", []Violation{
			{Msg: "email domain is banned", Code: CodeEmailDomainBanned, Field: "email"},
		}},
		{"domain rules skipped without email", "{'allowed_domains': []}", RegistrationMethodUpstreamOAuth2, "", nil},
		{"banned address", "{'emails': {'banned_addresses': {'substrings': ['hello']}}}", RegistrationMethodPassword, "hello@example.com", []Violation{
			{Msg: "email is not allowed", Code: CodeEmailBanned, Field: "email"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := engine(t, tt.data).Register(RegisterInput{RegistrationMethod: tt.method, Username: "hello", Email: tt.email})
			if !slices.Equal(vs, tt.want) {
				t.Errorf("violations = %+v, want %+v", vs, tt.want)
			}
		})
	}
}

func TestRegisterRequester(t *testing.T) {
	tests := []struct {
		name string
		data string
		req  Requester
		want string // "" = allowed
	}{
		{"banned ip", "{'requester': {'banned_ips': ['1.1.1.1']}}", Requester{IPAddress: addr("1.1.1.1")}, "Requester [1.1.1.1] isn't allowed to do this action"},
		{"banned range", "{'requester': {'banned_ips': ['1.0.0.0/8']}}", Requester{IPAddress: addr("1.1.1.1")}, "Requester [1.1.1.1] isn't allowed to do this action"},
		{"other ip", "{'requester': {'banned_ips': ['1.0.0.0/8']}}", Requester{IPAddress: addr("2.1.1.1")}, ""},
		{"banned user agent", "{'requester': {'banned_user_agents': {'substrings': ['Evil']}}}", Requester{UserAgent: "Evil Client"}, "Requester [Evil Client] isn't allowed to do this action"},
		{"unknown requester", "{'requester': {'banned_ips': ['0.0.0.0/0', '::/0'], 'banned_user_agents': {'regexes': ['.*']}}}", Requester{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := engine(t, tt.data).Register(RegisterInput{RegistrationMethod: RegistrationMethodUpstreamOAuth2, Username: "hello", Requester: tt.req})
			if tt.want == "" {
				wantMsgs(t, vs)
			} else {
				wantMsgs(t, vs, tt.want)
			}
		})
	}
}

func TestRegisterAllRulesAtOnce(t *testing.T) {
	e := engine(t, `{'server_name': 'example.com', 'registration': {'banned_usernames': {'literals': ['']}, 'allowed_usernames': {'literals': ['x']}},
		'allowed_domains': ['a.org'], 'banned_domains': ['b.org'], 'emails': {'allowed_addresses': {'literals': ['x']}, 'banned_addresses': {'suffixes': ['.org']}},
		'requester': {'banned_ips': ['::1']}}`)
	vs := e.Register(RegisterInput{Username: "", Email: "u@b.org", Requester: Requester{IPAddress: addr("::1"), UserAgent: "ua"}})
	wantMsgs(t, vs,
		"username too short",
		"username contains invalid characters",
		"username is banned",
		"username is not allowed",
		"unspecified registration method",
		"unknown registration method",
		"Requester [::1 / ua] isn't allowed to do this action",
		"email domain is not allowed",
		"email domain is banned",
		"email is not allowed", // not in allowed_addresses
		"email is not allowed", // banned
	)
}
