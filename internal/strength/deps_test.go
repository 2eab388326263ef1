package strength

import (
	"os/exec"
	"strings"
	"testing"
)

// TestTrustelemIsTestOnly keeps the port we compare against out of the
// binary: its package init alone allocated 11.5 MB in every mas-cli
// process.
func TestTrustelemIsTestOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "mas/cmd/mas-cli").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/trustelem/") {
			t.Errorf("mas-cli links %s; import it from _test.go files only", p)
		}
	}
}
