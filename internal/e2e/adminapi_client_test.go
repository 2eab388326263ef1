package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"mas/internal/testenv"
)

// apiResource is one resource of an Admin API answer, attributes generic.
type apiResource struct {
	Type       string         `json:"type"`
	ID         string         `json:"id"`
	Attributes map[string]any `json:"attributes"`
	Links      struct {
		Self string `json:"self"`
	} `json:"links"`
	Meta *struct {
		Page struct {
			Cursor string `json:"cursor"`
		} `json:"page"`
	} `json:"meta"`
}

// apiAnswer is any Admin API answer: a single resource (Data), a list
// (List, Meta), an error (Errors), plus whatever else the body holds
// (Raw), e.g. a personal session's one-time access_token.
type apiAnswer struct {
	Status int
	Raw    map[string]any
	Data   *apiResource
	List   []apiResource
	Meta   *struct {
		Count int `json:"count"`
	}
	Links struct {
		Self, First, Last, Next, Prev string
	}
	Errors []struct {
		Title string `json:"title"`
	}
}

// Title is the first error's title ("" if none).
func (a apiAnswer) Title() string {
	if len(a.Errors) == 0 {
		return ""
	}
	return a.Errors[0].Title
}

// adminCall calls the Admin API with a token ("" for none) and a JSON body
// (nil for none; a string or []byte is sent as is, for malformed bodies).
// An empty body (204) leaves the answer's fields empty.
func adminCall(t *testing.T, e *testenv.Env, token, method, path string, body any) apiAnswer {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.URL(path), rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := apiAnswer{Status: resp.StatusCode}
	if len(raw) == 0 {
		return out
	}
	var env struct {
		Data   json.RawMessage `json:"data"`
		Meta   json.RawMessage `json:"meta"`
		Links  json.RawMessage `json:"links"`
		Errors json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("%s %s: %d, not JSON: %v: %s", method, path, resp.StatusCode, err, raw)
	}
	_ = json.Unmarshal(raw, &out.Raw)
	if len(env.Data) > 0 && env.Data[0] == '[' {
		mustUnmarshal(t, env.Data, &out.List)
	} else if len(env.Data) > 0 && string(env.Data) != "null" {
		out.Data = new(apiResource)
		mustUnmarshal(t, env.Data, out.Data)
	}
	if len(env.Meta) > 0 {
		mustUnmarshal(t, env.Meta, &out.Meta)
	}
	if len(env.Links) > 0 {
		mustUnmarshal(t, env.Links, &out.Links)
	}
	if len(env.Errors) > 0 {
		mustUnmarshal(t, env.Errors, &out.Errors)
	}
	return out
}

func mustUnmarshal(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("unmarshal %s: %v", raw, err)
	}
}

// expect fails the test unless the answer has the status (and, for an
// error, the title when given).
func (a apiAnswer) expect(t *testing.T, status int, title ...string) apiAnswer {
	t.Helper()
	if a.Status != status || (len(title) > 0 && a.Title() != title[0]) {
		t.Fatalf("answer %d %q, want %d %q; body %v", a.Status, a.Title(), status, title, a.Raw)
	}
	return a
}
