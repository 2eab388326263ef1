package upstreamtest_test

import (
	"crypto/rand"
	"testing"

	"mas/internal/encrypt"
	"mas/internal/importupstream/upstreamtest"
	"mas/internal/tokens"
)

// TestGenerate fills upstream's schema and checks the rows are there and
// the tokens are in upstream's format.
func TestGenerate(t *testing.T) {
	enc := encrypt.New([32]byte{1}, rand.Reader)
	_, db, f := upstreamtest.NewDatabase(t, upstreamtest.Options{Users: 12, Seed: 1, Encrypt: enc.Encrypt, Anomalies: true})
	for table, n := range f.Rows {
		var got int
		if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM `+table).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Errorf("%s: %d rows, generator says %d", table, got, n)
		}
	}
	kinds := map[string]int{}
	active := 0
	for _, tok := range f.Tokens {
		kinds[tok.Kind]++
		if tok.Want.Active {
			active++
		}
		if tok.Kind != "syt" {
			if _, err := tokens.Check(tok.Value); err != nil {
				t.Errorf("token %s: %v", tok.Value, err)
			}
		}
	}
	for _, k := range []string{"mat", "mar", "mct", "mcr", "mpt", "syt"} {
		if kinds[k] == 0 {
			t.Errorf("no %s token generated", k)
		}
	}
	if active == 0 || active == len(f.Tokens) {
		t.Errorf("%d of %d tokens active: want a mix", active, len(f.Tokens))
	}
	t.Logf("%d tokens (%d active), rows %v", len(f.Tokens), active, f.Rows)
}
