package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"mas/internal/testenv"
)

const nilULID = "00000000000000000000000000"

// TestAdminAPIUserEmails: addresses are added without verification and
// reach the homeserver, listed by user and address, read and deleted;
// taken, malformed and unknown inputs get upstream's statuses and titles.
func TestAdminAPIUserEmails(t *testing.T) {
	backends(t, func(t *testing.T, postgres bool) {
		e := adminEnv(t, postgres)
		token := clientCredentialsToken(t, e, "urn:mas:admin")
		call := func(method, path string, body any) apiAnswer { return adminCall(t, e, token, method, path, body) }
		alice := e.CreateUser("alice", "a passphrase for alice")
		bob := e.CreateUser("bob", "a passphrase for bob")
		add := func(userID, email string) apiAnswer {
			return call("POST", "/api/admin/v1/user-emails", map[string]any{"user_id": userID, "email": email})
		}

		a := add(alice.ID.String(), "alice@example.com").expect(t, http.StatusCreated)
		if a.Data.Type != "user-email" || a.Data.Attributes["email"] != "alice@example.com" ||
			a.Data.Attributes["user_id"] != alice.ID.String() || a.Data.Attributes["created_at"] == nil ||
			a.Links.Self != "/api/admin/v1/user-emails/"+a.Data.ID || a.Data.Links.Self != a.Links.Self {
			t.Fatalf("added: %v", a.Raw)
		}
		aliceEmail := a.Data.ID
		waitHomeserverEmails(t, e, "alice", []string{"alice@example.com"})
		add(alice.ID.String(), "alice@work.example").expect(t, http.StatusCreated)
		bobEmail := add(bob.ID.String(), "bob@example.com").expect(t, http.StatusCreated).Data.ID

		// Taken (by anyone, in any case), malformed, unknown user.
		add(bob.ID.String(), "Alice@Example.com").expect(t, http.StatusConflict, `User email "Alice@Example.com" already in use`)
		add(alice.ID.String(), "alice@example.com").expect(t, http.StatusConflict, `User email "alice@example.com" already in use`)
		for _, bad := range []string{"not an email", "", "Alice <alice@x.example>", " a@x.example", "a@" + strings.Repeat("x", 260)} {
			add(alice.ID.String(), bad).expect(t, http.StatusBadRequest, `Email "`+bad+`" is not valid`)
		}
		add(nilULID, "carol@example.com").expect(t, http.StatusNotFound, "User ID "+nilULID+" not found")
		for _, body := range []any{"{", `{"user_id": "nope", "email": "x@y.example"}`, `{"email": "x@y.example"}`,
			map[string]any{"user_id": alice.ID.String()}} {
			if a := call("POST", "/api/admin/v1/user-emails", body).expect(t, http.StatusBadRequest); !strings.HasPrefix(a.Title(), "Invalid JSON body") {
				t.Errorf("body %v: %q", body, a.Title())
			}
		}

		// Listing and filters.
		emails := func(a apiAnswer) []string {
			var out []string
			for _, r := range a.List {
				out = append(out, r.Attributes["email"].(string))
			}
			return out
		}
		list := call("GET", "/api/admin/v1/user-emails", nil).expect(t, http.StatusOK)
		if got := emails(list); !slices.Equal(got, []string{"alice@example.com", "alice@work.example", "bob@example.com"}) || list.Meta.Count != 3 {
			t.Errorf("all: %v %v", got, list.Raw)
		}
		byUser := call("GET", "/api/admin/v1/user-emails?filter[user]="+bob.ID.String(), nil).expect(t, http.StatusOK)
		if got := emails(byUser); !slices.Equal(got, []string{"bob@example.com"}) || byUser.Meta.Count != 1 {
			t.Errorf("by user: %v", got)
		}
		byEmail := call("GET", "/api/admin/v1/user-emails?filter[email]=ALICE@example.com", nil).expect(t, http.StatusOK)
		if got := emails(byEmail); !slices.Equal(got, []string{"alice@example.com"}) {
			t.Errorf("by email: %v", got)
		}
		page := call("GET", "/api/admin/v1/user-emails?page[first]=2", nil).expect(t, http.StatusOK)
		if len(page.List) != 2 || page.Links.Next == "" {
			t.Fatalf("first page: %v", page.Raw)
		}
		if rest := call("GET", page.Links.Next, nil).expect(t, http.StatusOK); !slices.Equal(emails(rest), []string{"bob@example.com"}) {
			t.Errorf("next page: %v", emails(rest))
		}
		call("GET", "/api/admin/v1/user-emails?filter[user]="+nilULID, nil).expect(t, http.StatusNotFound, "User ID "+nilULID+" not found")
		call("GET", "/api/admin/v1/user-emails?filter[user]=nope", nil).expect(t, http.StatusBadRequest)
		call("GET", "/api/admin/v1/user-emails?filter[status]=active", nil).expect(t, http.StatusBadRequest, `Unknown filter parameter "filter[status]"`)

		// One, then gone.
		one := call("GET", "/api/admin/v1/user-emails/"+bobEmail, nil).expect(t, http.StatusOK)
		if one.Data.Attributes["email"] != "bob@example.com" || one.Links.Self != "/api/admin/v1/user-emails/"+bobEmail {
			t.Errorf("get: %v", one.Raw)
		}
		if a := call("DELETE", "/api/admin/v1/user-emails/"+aliceEmail, nil).expect(t, http.StatusNoContent); a.Raw != nil {
			t.Errorf("204 with a body: %v", a.Raw)
		}
		waitHomeserverEmails(t, e, "alice", []string{"alice@work.example"})
		call("GET", "/api/admin/v1/user-emails/"+aliceEmail, nil).expect(t, http.StatusNotFound, "User email ID "+aliceEmail+" not found")
		call("DELETE", "/api/admin/v1/user-emails/"+aliceEmail, nil).expect(t, http.StatusNotFound, "User email ID "+aliceEmail+" not found")
		call("GET", "/api/admin/v1/user-emails/nope", nil).expect(t, http.StatusBadRequest, `Invalid ID "nope"`)
		call("DELETE", "/api/admin/v1/user-emails/nope", nil).expect(t, http.StatusBadRequest, `Invalid ID "nope"`)
		// The address is free again.
		add(bob.ID.String(), "alice@example.com").expect(t, http.StatusCreated)
		if _, err := e.App.Store.UserEmails().FindByEmail(context.Background(), "alice@example.com"); err != nil {
			t.Fatal(err)
		}
	})
}

// waitHomeserverEmails waits until the fake homeserver holds exactly these
// addresses for the user (provisioning carries them).
func waitHomeserverEmails(t *testing.T, e *testenv.Env, localpart string, want []string) {
	t.Helper()
	e.Eventually(localpart+"'s addresses on the homeserver", func() bool {
		u, _ := e.Homeserver.User(localpart)
		return slices.Equal(u.Emails, want)
	})
}
