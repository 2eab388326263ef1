// Package synapsetest runs a real Synapse for tests: the pinned
// matrix-synapse from the Python environment that scripts/test-services
// installs, on 127.0.0.1, with its own database (SQLite, or PostgreSQL on
// the server of MAS_TEST_DATABASE_URL).
//
// Two modes:
//
//   - Delegated: Synapse delegates authentication to this service through
//     its matrix_authentication_service section, as in production. Synapse
//     keeps the service's discovery document for its lifetime and sends
//     every token to one fixed URL, so a Synapse started once per test
//     binary must always find "the service" at the same address: the
//     harness holds that address (AuthURL) and forwards it to whichever
//     service the current test attached. A second front (ClientURL) plays
//     the deployment's reverse proxy: the legacy login, logout and refresh
//     endpoints go to the service, everything else to Synapse.
//   - Legacy: Synapse's own password login and registration, for producing
//     the data a migration from Synapse starts from.
//
// Starting Synapse costs seconds, so tests share one per test binary
// (Shared, which needs Main in TestMain) and use a fresh user each; New
// starts one for a single test. Without MAS_TEST_SYNAPSE (the environment
// the script prints) the tests skip loudly, and fail under CI=true.
package synapsetest
