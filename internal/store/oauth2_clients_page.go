package store

// ClientFilter selects OAuth 2.0 clients for a listing (the Admin API's);
// the zero value selects every client.
type ClientFilter struct {
	// Kind is "", ClientKindStatic or ClientKindDynamic.
	Kind string
	// ClientName and ClientURI keep the clients whose name or URI contains
	// them, case-insensitively.
	ClientName, ClientURI string
	// GrantType keeps the clients allowed that grant (its OAuth name); a
	// grant clients cannot hold matches none.
	GrantType string
	// HasActiveSessions, when set, keeps the clients with (or without) an
	// unfinished OAuth 2.0 session.
	HasActiveSessions *bool
}

// Client kinds of ClientFilter.Kind.
const (
	ClientKindStatic  = "static"
	ClientKindDynamic = "dynamic"
)
