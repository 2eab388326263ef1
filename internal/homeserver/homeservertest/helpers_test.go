package homeservertest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"mas/internal/homeserver/homeservertest"
)

// answer is a decoded response from the fake.
type answer struct {
	status int
	raw    []byte
	json   map[string]any
}

func (a answer) errcode() string {
	s, _ := a.json["errcode"].(string)
	return s
}

func (a answer) message() string {
	s, _ := a.json["error"].(string)
	return s
}

// call sends a request to the fake. token "" sends no Authorization header.
func call(t *testing.T, s *homeservertest.Server, method, path, token, body string) answer {
	t.Helper()
	a, err := tryCall(s, method, path, token, body)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// tryCall is call for goroutines other than the test's.
func tryCall(s *homeservertest.Server, method, path, token, body string) (answer, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	if err != nil {
		return answer{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, raw: raw}
	if len(bytes.TrimSpace(raw)) > 0 {
		_ = json.Unmarshal(raw, &a.json)
	}
	return a, nil
}

// mas calls a /_synapse/mas/* endpoint with the right secret.
func mas(t *testing.T, s *homeservertest.Server, method, endpoint, body string) answer {
	t.Helper()
	return call(t, s, method, "/_synapse/mas/"+endpoint, s.Secret(), body)
}

func expect(t *testing.T, a answer, status int, errcode string) {
	t.Helper()
	if a.status != status || a.errcode() != errcode {
		t.Fatalf("got HTTP %d %q (%s), want HTTP %d %q", a.status, a.errcode(), a.raw, status, errcode)
	}
}

func newFake(t *testing.T) *homeservertest.Server {
	return homeservertest.New(t, homeservertest.Options{ServerName: "example.org", Secret: "s3cret"})
}

// provisionAsync provisions from another goroutine; transport errors come
// back as status 0.
func provisionAsync(s *homeservertest.Server, body string) <-chan answer {
	ch := make(chan answer, 1)
	go func() {
		a, _ := tryCall(s, http.MethodPost, "/_synapse/mas/provision_user", s.Secret(), body)
		ch <- a
	}()
	return ch
}

func provision(t *testing.T, s *homeservertest.Server, body string) answer {
	t.Helper()
	return mas(t, s, http.MethodPost, "provision_user", body)
}
