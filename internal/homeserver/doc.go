// Package homeserver describes what the service needs from the Matrix
// homeserver it fronts: creating and updating users and devices, checking
// whether a localpart is free, and authenticating the homeserver when it calls
// back to introspect tokens.
//
// The only production implementation talks to Synapse's /_synapse/mas/* API
// (package homeserver/synapse). Tests use a real HTTP fake of that API
// (package homeserver/homeservertest) behind the same client, so the wire
// format is exercised everywhere instead of being mocked away.
package homeserver
