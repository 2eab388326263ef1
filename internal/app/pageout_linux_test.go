package app

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// rssFileKiB reads the file-backed part of this process's resident set.
func rssFileKiB(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "RssFile:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}

func TestReleaseStartupPagesShrinksTheMappedExecutable(t *testing.T) {
	before := rssFileKiB(t)
	advised, err := releaseStartupPages()
	if err != nil {
		t.Fatalf("releaseStartupPages: %v", err)
	}
	if advised == 0 {
		t.Fatal("no read-only mapping of the executable was found in /proc/self/maps")
	}
	after := rssFileKiB(t)
	t.Logf("RssFile %d kB -> %d kB after advising %d kB", before, after, advised/1024)
	if after >= before {
		t.Errorf("RssFile did not shrink: %d kB before, %d kB after", before, after)
	}
}
