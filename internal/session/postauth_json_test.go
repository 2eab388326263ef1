package session_test

import (
	"net/url"
	"reflect"
	"testing"

	"mas/internal/domain"
	"mas/internal/session"
)

func TestPostAuthActionJSON(t *testing.T) {
	id, _ := domain.ParseID("01ARZ3NDEKTSV4RRFFQ69G5FAV")
	grant := session.ContinueAuthorizationGrant(id)
	manage := session.PostAuthAction{Kind: session.KindManageAccount, Params: url.Values{"action": {"org.matrix.session_view"}, "device_id": {"ABC"}}}
	for _, tc := range []struct {
		action *session.PostAuthAction
		json   string
	}{
		{&grant, `{"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","kind":"continue_authorization_grant"}`},
		{&manage, `{"action":"org.matrix.session_view","device_id":"ABC","kind":"manage_account"}`},
		{nil, ""},
	} {
		got := tc.action.JSON()
		if got != tc.json {
			t.Errorf("JSON() = %s, want %s", got, tc.json)
		}
		if back := session.ParsePostAuthActionJSON(got); !reflect.DeepEqual(back, tc.action) {
			t.Errorf("round trip of %s = %+v", got, back)
		}
	}
	for _, bad := range []string{"{", `{"kind":"continue_authorization_grant","id":"nope"}`, `{"kind":"elsewhere"}`, `[]`} {
		if a := session.ParsePostAuthActionJSON(bad); a != nil {
			t.Errorf("%s parsed as %+v", bad, a)
		}
	}
}
