// Package homeservertest runs an in-memory fake Synapse over real HTTP, for
// tests of anything that talks to the homeserver or that the homeserver
// talks to.
//
// The fake answers the twelve /_synapse/mas/* endpoints with Synapse's status
// codes, error codes and validation rules, keeps users, profiles, emails and
// devices in memory, and serves the few client-API endpoints the service
// cares about: /_matrix/client/versions, /.well-known/matrix/client, and
// /_matrix/client/v3/account/whoami, which introspects tokens against the
// service under test exactly as Synapse does (including its two-minute
// cache and the device check that makes logout take effect).
//
// Tests can inspect the state (User, Devices, Calls), break the homeserver
// (SetDown, SetHook) and hold requests open (Block, BlockProvision).
//
// Deviations from Synapse that tests may notice: a 204 answer carries no
// body (Synapse sends "{}", net/http cannot), rate limits, spam checks and
// application services other than exclusive namespaces do not exist, and
// validation error texts only resemble pydantic's.
package homeservertest
