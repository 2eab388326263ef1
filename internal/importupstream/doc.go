// Package importupstream copies the data of upstream MAS (the Rust service)
// into this service's store: `mas-cli database import-upstream`.
//
// Both services keep the same tables under the same names, with mostly
// the same columns; the differences are in the types (upstream stores
// ULIDs as UUIDs, lists as arrays, addresses as INET) and in a few rules
// this service enforces and upstream does not (usernames and email
// addresses unique regardless of case, one method per browser-session
// authentication). Every row is copied with its ids, token strings and
// encrypted values as they are, so that the tokens clients hold keep
// working; rows that break a rule here are reported one by one with the
// choice made, and what depends on them is skipped with them.
//
// The source is read in one read-only snapshot, and the destination is
// written through store.Bulk in one transaction: an interrupted import
// leaves the destination empty.
//
// The in-place form (inplace.go) moves upstream's tables of a database
// aside into a backup schema, lets this service create its own, imports
// from the backup, and tells how to undo all of it.
package importupstream
