package doctor

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestStandaloneIsReported(t *testing.T) {
	var out bytes.Buffer
	summary, err := Run(context.Background(), &out, Options{
		Issuer:     "https://auth.example.org/",
		ServerName: "example.org",
		Endpoint:   "http://127.0.0.1:1/",
		Secret:     "s",
		Standalone: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if summary.Failures != 1 || !strings.Contains(out.String(), "❌ matrix.kind is standalone") {
		t.Fatalf("summary %+v, output:\n%s", summary, out.String())
	}
	if strings.Contains(out.String(), "reachable") {
		t.Fatalf("homeserver checks ran in standalone mode:\n%s", out.String())
	}
}
