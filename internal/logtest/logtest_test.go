package logtest_test

import (
	"log/slog"
	"strings"
	"sync"
	"testing"

	"mas/internal/logtest"
)

func TestBufferKeepsConcurrentLines(t *testing.T) {
	logger, logs := logtest.New(t, slog.LevelWarn)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { logger.Warn("event", "n", 1) })
	}
	logger.Info("below the level")
	wg.Wait()
	if got := strings.Count(logs.String(), "msg=event"); got != 20 {
		t.Fatalf("%d lines kept, want 20:\n%s", got, logs)
	}
	if strings.Contains(logs.String(), "below the level") {
		t.Fatal("a line below the level was kept")
	}
}
