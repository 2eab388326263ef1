// Package synapsegen builds synthetic Synapse homeservers for tests and
// benchmarks of syn2mas: the six tables it reads (schema/*.sql, the
// fixture of synapse-protocol.md §3.6, for PostgreSQL and SQLite), filled
// with users, passwords, emails, phone numbers, external IDs, devices and
// tokens the way Synapse writes them. The output is a pure function of
// Options (seeded), so a test can ask Plan for any user's rows and compare.
//
// Test support only: no production code imports it.
package synapsegen

// Password is the password of every generated user that has one; Hash
// makes the Synapse hash of it with Options.Pepper.
const Password = "correct horse battery staple"

// Options describe the homeserver. The zero value of a rate means none of
// that kind; Default gives a realistic mix of everything.
type Options struct {
	// Users is the number of rows of users, every kind included.
	Users int
	// Seed makes another homeserver of the same shape.
	Seed uint64
	// ServerName is Synapse's server_name: users are @local:ServerName.
	ServerName string
	// Pepper is Synapse's password_config.pepper, appended to the password
	// before hashing.
	Pepper string
	// AuthProviders are the auth_provider values of user_external_ids
	// (Synapse's "oidc", "oidc-<idp_id>", ...), one picked per link.
	AuthProviders []string

	// Kinds of users, as fractions of Users (0..1). With a rate above
	// zero the first users are one of each kind, so that even a small
	// homeserver has them; user 0 is an admin when Admins > 0.
	Appservice  float64 // bridge users: appservice_id set, no password
	Guests      float64 // is_guest, numeric localpart, no password
	Deactivated float64 // deactivated, no password, no threepids
	Locked      float64
	Admins      float64

	// Per ordinary user (locked users and admins included).
	Emails      float64 // has an email address
	Phones      float64 // has a phone number (medium msisdn)
	ExternalIDs float64 // is linked to one of AuthProviders; half of them have no password
	// Devices is the distribution of the number of devices: Devices[k]
	// is the weight of k devices (nil: none).
	Devices []float64
	// Per device: a refresh-token pair instead of a plain access token,
	// and the share of those whose pair has a predecessor still in the
	// table (two thirds of those were replaced for good: the successor's
	// access token was used).
	Refreshable, RefreshChains float64
	// Hidden devices (hidden = true; and a few hidden = NULL), and guest
	// devices called 'guest_device': Synapse's listing leaves both out.
	HiddenDevices float64
	// Rare tokens: without a device, puppeting (an admin acting as the
	// user), and of a device that is gone.
	DevicelessTokens, PuppetTokens, OrphanTokens float64

	// Bad input, off unless set.
	Bad Bad
}

// Bad asks for rows that break what syn2mas expects.
type Bad struct {
	// CaseDuplicateEmails: this share of odd-numbered users take the
	// email of the user before them, differing only in letter case.
	CaseDuplicateEmails float64
	// ForeignUsers: user IDs of another server ("other.example").
	ForeignUsers float64
	// OrphanDevices: devices rows whose user is not in users.
	OrphanDevices float64
}

// Default is a realistic homeserver of n users, about 5 rows per user.
func Default(n int) Options {
	return Options{
		Users:         n,
		Seed:          1,
		ServerName:    "example.org",
		Pepper:        "",
		AuthProviders: []string{"oidc"},
		Appservice:    0.01, Guests: 0.01, Deactivated: 0.02, Locked: 0.005, Admins: 0.001,
		Emails: 0.9, Phones: 0.1, ExternalIDs: 0.2,
		Devices:     []float64{0.2, 0.45, 0.25, 0.1},
		Refreshable: 0.2, RefreshChains: 0.3,
		HiddenDevices:    0.03,
		DevicelessTokens: 0.03, PuppetTokens: 0.005, OrphanTokens: 0.01,
	}
}

// Summary counts what Generate wrote, and what each of synapsedb's
// listings must return for it.
type Summary struct {
	Users, Appservice, Guests, Deactivated, Locked, Admins int64
	WithPassword                                           int64
	ForeignUsers                                           int64 // Bad.ForeignUsers

	Emails, Phones      int64 // rows of user_threepids by medium
	CaseDuplicateEmails int64 // Bad.CaseDuplicateEmails

	// ExternalIDs counts the rows of user_external_ids per auth_provider.
	ExternalIDs map[string]int64

	DeviceRows    int64 // rows of devices
	Devices       int64 // what the Devices listing returns
	OrphanDevices int64 // Bad.OrphanDevices
	DashIPs       int64 // devices with ip '-'
	BadIPs        int64 // devices with an ip that is no IP address

	AccessTokenRows, RefreshTokenRows int64
	Unrefreshable                     int64 // what UnrefreshableTokens returns
	RefreshablePairs                  int64 // what RefreshableTokens returns
	ReplacedPairs                     int64 // pairs left out: their successor was used

	Rows int64 // every row written
}
