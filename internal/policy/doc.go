// Package policy decides whether registrations, logins, OAuth 2.0 grants,
// client registrations and email additions are allowed.
//
// Upstream MAS ships these rules as Rego compiled to WebAssembly and feeds
// them the `policy.data` configuration value. This package evaluates the same
// rules natively, reading the same data keys and returning the same
// violation messages and codes, so an existing `policy.data` block keeps its
// meaning. Custom WebAssembly policies (`policy.wasm_module`) are not loaded.
//
// An Engine is safe for concurrent use. Build one with New (or NewWithBase,
// which adds the values MAS injects itself); put a new version of the
// dynamic data in effect with SetData, which every holder of the engine
// sees at once, or derive a separate engine for it with WithData.
//
// Every entrypoint returns the violations it found; an empty result means
// the action is allowed. Violations are deduplicated and listed in rule
// order (upstream returns a set, whose order is unspecified).
package policy
