// Package config reads, checks, generates and writes the MAS configuration
// file. It accepts the same YAML as upstream MAS 1.22, with the same
// defaults, so an existing config.yaml works unchanged.
//
// Loading (Load, LoadBytes, LoadSources) is strict: every unknown key, type
// mismatch and syntax error is reported with its file, line and path, all at
// once, as a Problems error. Several files are merged like upstream's CLI
// merges its --config files: mappings key by key, later scalars win, lists
// are concatenated.
//
// Validate then checks the semantic rules (exclusive keys, URL syntax,
// identifiers, cross-field constraints) and returns every violation, again
// as Problems. Load does not call Validate, so `config dump` can show a
// configuration that does not validate yet.
//
// Secrets may be given inline (`secret`) or through a file (`secret_file`).
// Accessors such as MatrixConfig.SecretValue, SecretsConfig.EncryptionKey
// and SecretsConfig.SigningKeys resolve the pairs and name the config path
// in their errors; see files.go for how file contents are treated.
//
// SQLite: besides PostgreSQL, `database.uri` may name an embedded SQLite
// database with the sqlite: scheme (sqlite:mas.db, sqlite:///abs/path.db,
// sqlite::memory:); DatabaseConfig.Backend tells which backend is selected.
//
// Deliberate differences from upstream: unknown keys are errors (upstream
// ignores them), a missing --config file is an error (upstream treats it as
// empty), and MAS_* environment variables are not read as configuration.
package config
