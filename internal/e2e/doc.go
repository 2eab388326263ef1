// Package e2e holds end-to-end tests: the whole service (internal/testenv)
// driven over real HTTP by real client libraries, as Matrix clients and
// Synapse drive it.
package e2e
