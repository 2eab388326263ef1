// Package syn2mas migrates a Synapse homeserver's accounts into this
// service, as upstream's `mas-cli syn2mas` does: the checks (upstream's
// texts, word for word), then users, third-party IDs, external IDs,
// access and refresh tokens and devices, mapped as upstream maps them.
//
// Beyond upstream: Synapse on SQLite as well as PostgreSQL
// (synapsedb), our SQLite store as well as PostgreSQL as destination, the
// whole migration in one transaction of the destination (store.Bulk: an
// interrupted run leaves nothing and simply runs again), rows that break
// this service's rules (a username or email address differing only in
// case from another's, a row of an unknown user, an IP address that does
// not parse) skipped and reported instead of failing the run, and every
// skipped row counted by reason on its stage's summary line.
//
// The CLI (internal/cli, syn2mas*.go) reads both configurations, opens
// the Synapse snapshot (synapsedb.Open) and the store, and calls the
// checks and Migrate; Reporter draws the progress.
package syn2mas
