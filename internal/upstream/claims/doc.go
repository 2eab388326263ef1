// Package claims maps what an upstream identity provider says about a
// user onto a local account: the claims_imports of a provider (subject,
// localpart, display name, email, account name) and its
// additional_authorization_parameters. It is a pure library: no store, no
// HTTP. The login flow compiles each provider once at start (Compile,
// CompileAuthParams; their errors name the provider and the key, for
// `config check` and startup), evaluates the claims of each login
// (Mapper.Evaluate / EvaluateClaims) and asks ResolveLocalpart what to do
// with a localpart that is taken.
//
// # Templates
//
// Every import is a Jinja template over `user`: the ID token claims merged
// with the userinfo response, the ID token winning. EvaluateClaims also
// binds `id_token_claims`, `userinfo_claims` and
// `extra_callback_parameters`, as upstream does. Whole JSON numbers render
// as integers. Reading a missing claim gives no value, and so does reading
// through one (`user.missing.foo`, `user.missing.split('@')`); an empty
// rendering counts as no value. The filters upstream adds are there:
// split, b64decode, b64encode, tlvdecode, from_json (and string).
//
// Templates run in this package's own gonja environment, which bounds
// every rendering (limits.go): tags that recurse or read other templates
// are refused when parsing, loops and range() share an iteration budget,
// and every operator, filter, method and output is size-checked and
// charged to a byte budget. A template can fail, but it cannot loop
// forever or exhaust memory. Conditional expressions (`a if c else b`)
// work at the top of {{ }} and in {% set %}, not inside parentheses or
// arguments: that is gonja's grammar.
//
// # Actions
//
//	ignore   not rendered; the user chooses (the default)
//	suggest  offered; the user may change or decline it
//	force    imported without asking when it has a value; none is fine
//	require  imported without asking; no value fails the login
//
// A failing template fails the login only when its import is required
// (and the subject is always required); otherwise the import has no value
// and the failure is in Result.Warnings for the log.
//
// # Localpart conflicts
//
// When the subject is not linked yet and a localpart was imported,
// ResolveLocalpart decides, looking at a local holder before the username
// policy and the homeserver, as upstream does. on_conflict other than
// fail needs action force or require (Compile refuses otherwise).
//
//	action           localpart                          on_conflict  result
//	ignore, or none rendered (force/suggest)            any          choose: the user picks
//	suggest          taken, or refused by policy/HS     any          choose: suggestion dropped
//	suggest          free                               any          register, editable
//	force/require    free                               any          register, fixed
//	force/require    refused by policy or homeserver    any          refuse
//	force/require    taken                              fail         refuse
//	force/require    taken                              add          link to the holder; its other links stay
//	force/require    taken                              replace      remove the holder's links to this provider, then link
//	force/require    taken, holder linked to provider   set          refuse
//	force/require    taken, holder not linked to it     set          link to the holder
//	require          none rendered                      any          refuse (Evaluate already failed)
//
// After link or replace the flow logs in as the holder; a locked or
// deactivated holder gets its usual page and nothing is written. The
// reference says "add" links "regardless of whether there is an existing
// link", "replace" replaces "any existing link" and "set" links "only if
// there is no existing link for this provider on the matching user"; it is
// silent on a refused localpart under force, and we refuse (upstream
// shows an error page there too). The flow must re-check HolderLinked in
// the transaction that writes the link.
//
// # Email verification
//
// set_email_verification, a key upstream dropped and we honour: always
// marks an imported address verified, never leaves it to a code, and
// import (the default) marks it verified when the provider's
// email_verified claim is true (the boolean, or the string "true" some
// providers send) and the imported address is the provider's own `email`
// claim, compared case-insensitively. An address a template builds from
// other claims is not what email_verified vouches for, so it goes through
// a code; old upstream releases did not make that distinction and took
// any non-empty email_verified string as true.
package claims
