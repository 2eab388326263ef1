package config

import (
	"os"
	"testing"
)

// FuzzLoad checks that no input makes the loader, Validate or Marshal
// panic, and that whatever loads also survives a Marshal round trip.
func FuzzLoad(f *testing.F) {
	for _, name := range fixtures {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(minimal))
	f.Add([]byte("http: {listeners: [{binds: [{}], resources: [{name: assets}]}]}"))
	f.Add([]byte("a: &x [*x]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := LoadBytes("fuzz.yaml", data)
		if err != nil {
			return
		}
		_ = c.Validate()
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		if _, err := LoadBytes("dump.yaml", out); err != nil {
			t.Fatalf("reloading the dump: %v\n%s", err, out)
		}
	})
}
