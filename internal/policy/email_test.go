package policy

import (
	"slices"
	"testing"
)

func TestEmail(t *testing.T) {
	domainNotAllowed := Violation{Msg: "email domain is not allowed", Code: CodeEmailDomainNotAllowed}
	domainBanned := Violation{Msg: "email domain is banned", Code: CodeEmailDomainBanned}
	notAllowed := Violation{Msg: "email is not allowed", Code: CodeEmailNotAllowed}
	banned := Violation{Msg: "email is not allowed", Code: CodeEmailBanned}
	const addr = "hello@staging.element.io"

	tests := []struct {
		name  string
		data  string
		email string
		want  []Violation
	}{
		{"any domain by default", "", addr, nil},
		{"allowed domain glob", "{'allowed_domains': ['*.element.io']}", addr, nil},
		{"allowed exact domain", "{'allowed_domains': ['example.com', 'staging.element.io']}", addr, nil},
		{"domain not allowed", "{'allowed_domains': ['example.com']}", addr, []Violation{domainNotAllowed}},
		{"star stops at dots", "{'allowed_domains': ['*.io']}", addr, []Violation{domainNotAllowed}},
		{"double star crosses dots", "{'allowed_domains': ['**.io']}", addr, nil},
		{"star needs its label", "{'allowed_domains': ['*.element.io']}", "hello@element.io", []Violation{domainNotAllowed}},
		{"alternatives", "{'allowed_domains': ['{staging,prod}.element.io']}", addr, nil},
		{"character class", "{'allowed_domains': ['[r-t]taging.element.io']}", addr, nil},
		{"question mark", "{'allowed_domains': ['?taging.element.io']}", addr, nil},
		{"domains are case-sensitive", "{'allowed_domains': ['staging.element.io']}", "hello@Staging.element.io", []Violation{domainNotAllowed}},
		{"empty allowed_domains refuses all", "{'allowed_domains': []}", addr, []Violation{domainNotAllowed}},
		{"null allowed_domains allows all", "{'allowed_domains': null}", addr, nil},
		{"no at sign has no domain", "{'allowed_domains': ['**'], 'banned_domains': ['**']}", "hello", []Violation{domainNotAllowed}},
		{"two at signs have no domain", "{'allowed_domains': ['**'], 'banned_domains': ['**']}", "a@b@c", []Violation{domainNotAllowed}},
		{"no at sign, no domain rules", "{'banned_domains': ['**']}", "hello", nil},
		{"banned domain", "{'banned_domains': ['*.element.io']}", addr, []Violation{domainBanned}},
		{"other banned domain", "{'banned_domains': ['example.com']}", addr, nil},
		{"banned subdomain of an allowed domain", "{'allowed_domains': ['*.element.io'], 'banned_domains': ['staging.element.io']}", addr, []Violation{domainBanned}},

		{"regex allowed", "{'emails': {'allowed_addresses': {'regexes': ['hello@.*']}}}", addr, nil},
		{"regex not allowed", "{'emails': {'allowed_addresses': {'regexes': ['hola@.*']}}}", addr, []Violation{notAllowed}},
		{"regex is unanchored", "{'emails': {'allowed_addresses': {'regexes': ['element']}}}", addr, nil},
		{"literal allowed", "{'emails': {'allowed_addresses': {'literals': ['hello@staging.element.io']}}}", addr, nil},
		{"literal not allowed", "{'emails': {'allowed_addresses': {'literals': ['hola@staging.element.io']}}}", addr, []Violation{notAllowed}},
		{"empty allowed_addresses refuses all", "{'emails': {'allowed_addresses': {}}}", addr, []Violation{notAllowed}},
		{"regex banned", "{'emails': {'banned_addresses': {'regexes': ['hello@.*']}}}", addr, []Violation{banned}},
		{"literal banned", "{'emails': {'banned_addresses': {'literals': ['hello@staging.element.io']}}}", addr, []Violation{banned}},
		{"prefix banned", "{'emails': {'banned_addresses': {'prefixes': ['hello@']}}}", addr, []Violation{banned}},
		{"suffix banned", "{'emails': {'banned_addresses': {'suffixes': ['.io']}}}", addr, []Violation{banned}},
		{"substring banned", "{'emails': {'banned_addresses': {'substrings': ['staging']}}}", addr, []Violation{banned}},
		{"nothing banned", "{'emails': {'banned_addresses': {'literals': ['x'], 'regexes': ['^y']}}}", addr, nil},
		{"allowed and banned", "{'emails': {'allowed_addresses': {'literals': ['hello@staging.element.io']}, 'banned_addresses': {'literals': ['hello@staging.element.io']}}}", addr, []Violation{banned}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := engine(t, tt.data).Email(EmailInput{Email: tt.email})
			if !slices.Equal(vs, tt.want) {
				t.Errorf("violations = %+v, want %+v", vs, tt.want)
			}
		})
	}
}

func TestEmailRequester(t *testing.T) {
	e := engine(t, "{'requester': {'banned_user_agents': {'prefixes': ['curl/']}}}")
	wantMsgs(t, e.Email(EmailInput{Email: "a@b.c", Requester: Requester{UserAgent: "curl/8.0"}}),
		"Requester [curl/8.0] isn't allowed to do this action")
	wantMsgs(t, e.Email(EmailInput{Email: "a@b.c", Requester: Requester{UserAgent: "Mozilla/5.0"}}))
}
