package domain

import (
	"strings"
	"testing"
)

func TestIsText(t *testing.T) {
	for s, want := range map[string]bool{
		"": true, "alice": true, "élan ✓": true,
		"a\x00b": false, "\xff\xfe": false, "ok\xc3": false,
	} {
		if got := IsText(s); got != want {
			t.Errorf("IsText(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestIsDeviceID(t *testing.T) {
	for id, want := range map[string]bool{
		"ABCDEFGHIJ": true, "a": true, "dev.1_~!$&'()*+,;=:@/-": true,
		strings.Repeat("D", 255): true, strings.Repeat("D", 256): false,
		"": false, "with space": false, "line\nbreak": false, "cr\r": false,
		`quote"`: false, `back\slash`: false, "tab\t": false, "é": false, "nul\x00": false,
	} {
		if got := IsDeviceID(id); got != want {
			t.Errorf("IsDeviceID(%q) = %v, want %v", id, got, want)
		}
	}
}
