// Package synapse implements homeserver.Connection against Synapse's
// dedicated MAS API (/_synapse/mas/*, Synapse 1.136 and later), which is
// what matrix.kind "synapse" (the default) and "synapse_modern" select.
//
// Every request carries the shared secret as a bearer token. Synapse answers
// a wrong secret with 403 M_UNKNOWN, which surfaces here as a
// *homeserver.Error like any other refusal.
//
// The legacy admin-API flavour ("synapse_legacy") is deliberately not
// implemented: it relies on the MSC3861 admin token, which Synapse removed
// in 1.157, so no current Synapse accepts it (see ErrLegacyUnsupported).
package synapse
