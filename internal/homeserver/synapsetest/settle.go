package synapsetest

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver
	_ "modernc.org/sqlite"             // "sqlite" driver
)

// waitBackgroundUpdates waits until Synapse has run every background
// schema update of its fresh database, as on any homeserver that has been
// up for a while: until then some of its endpoints fail (see the
// background_updates setting in homeserverConfig).
func (s *Synapse) waitBackgroundUpdates(ctx context.Context) error {
	driver, dsn := "pgx", s.databaseURL
	if s.databaseURL == "" {
		driver, dsn = "sqlite", "file:"+filepath.Join(s.dir, "homeserver.db")+"?mode=ro&_pragma=busy_timeout(5000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var pending int
	for {
		err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM background_updates`).Scan(&pending)
		if err == nil && pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("Synapse still had %d background updates to run (last error: %v)", pending, err)
		case <-s.exited:
			return fmt.Errorf("Synapse exited while running its background updates (%v)", s.exitErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
