package store

import (
	"time"

	"mas/internal/domain"
)

// The housekeeping methods of the repositories share these rules:
//
//   - Each call handles at most limit rows in one statement and says how
//     many it handled; callers repeat it until fewer than limit come back.
//     Outside a transaction every batch commits on its own, so a large
//     clean-up never holds the database (SQLite has a single writer) for
//     long.
//   - A row qualifies strictly before the cut-off: one stamped exactly at
//     it stays.
//   - Deletes never fail on a reference: every foreign key to the deleted
//     tables is ON DELETE CASCADE (what belongs to the row: tokens,
//     codes, tickets, authentications) or ON DELETE SET NULL (what merely
//     points at it: grants, logins, sessions started from it).
//   - ForgetIPsInactiveBefore clears the last-active IP address of the
//     sessions, finished or not, last active before the cut-off: personal
//     data is kept only while it helps the user recognise a session.
//   - ListInactive returns active sessions whose last activity, or
//     creation when never active, is before the cut-off, longest idle
//     first. The expiry ends what it lists, which takes those sessions out
//     of the next listing: no position is needed.

// CleanupPosition is where a batched clean-up that skips rows stopped: the
// sort key of the last row it handled. The zero value is the start.
type CleanupPosition struct {
	At time.Time
	ID domain.ID
}
