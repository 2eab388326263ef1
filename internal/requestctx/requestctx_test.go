package requestctx

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
)

func TestZeroValues(t *testing.T) {
	ctx := context.Background()
	if got := RequestID(ctx); got != "" {
		t.Errorf("RequestID = %q", got)
	}
	if got := ClientIP(ctx); got.IsValid() {
		t.Errorf("ClientIP = %v", got)
	}
	if got := UserAgent(ctx); got != "" {
		t.Errorf("UserAgent = %q", got)
	}
	if got := Logger(ctx); got != slog.Default() {
		t.Errorf("Logger is not slog.Default")
	}
}

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil)).With("request_id", "r1")
	ip := netip.MustParseAddr("2001:db8::1")

	ctx := context.Background()
	ctx = WithRequestID(ctx, "r1")
	ctx = WithClientIP(ctx, ip)
	ctx = WithUserAgent(ctx, "curl/8")
	ctx = WithLogger(ctx, logger)

	if got := RequestID(ctx); got != "r1" {
		t.Errorf("RequestID = %q", got)
	}
	if got := ClientIP(ctx); got != ip {
		t.Errorf("ClientIP = %v", got)
	}
	if got := UserAgent(ctx); got != "curl/8" {
		t.Errorf("UserAgent = %q", got)
	}
	Logger(ctx).Info("hello")
	if !strings.Contains(buf.String(), "request_id=r1") {
		t.Errorf("log line %q lacks the request ID", buf.String())
	}
}

func TestNilLoggerFallsBack(t *testing.T) {
	ctx := WithLogger(context.Background(), nil)
	if Logger(ctx) != slog.Default() {
		t.Error("a nil logger must read as slog.Default")
	}
}
