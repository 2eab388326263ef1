package synapse

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"mas/internal/homeserver"
)

// Options configure a Client. They mirror the "matrix" config section
// without depending on the config package.
type Options struct {
	// Endpoint is the base URL of the homeserver's client API as seen by this
	// service (matrix.endpoint). It may carry a path. Relative API paths are
	// resolved against it the way a browser resolves links (RFC 3986), as
	// upstream does: a path prefix is only kept when it ends with "/"
	// ("http://hs/synapse/" keeps "synapse", "http://hs/synapse" drops it).
	Endpoint string
	// ServerName is the homeserver's server_name (matrix.homeserver).
	ServerName string
	// Secret is the shared secret (matrix.secret, or the trimmed content of
	// matrix.secret_file).
	Secret string
	// HTTPClient sends the requests; nil means a dedicated client with no
	// overall timeout (each call gets its own deadline, see Timeout).
	HTTPClient *http.Client
	// Timeout bounds each call except DeleteUser. Zero means DefaultTimeout.
	Timeout time.Duration
	// DeleteUserTimeout bounds DeleteUser, which can take minutes on a large
	// account because Synapse leaves every room and purges data inline. Zero
	// means DefaultDeleteUserTimeout.
	DeleteUserTimeout time.Duration
	// UserAgent, when set, is sent as the User-Agent header.
	UserAgent string
}

// Defaults for Options.
const (
	DefaultTimeout           = 30 * time.Second
	DefaultDeleteUserTimeout = 5 * time.Minute
)

// Values of matrix.kind.
const (
	KindSynapse         = "synapse"
	KindSynapseModern   = "synapse_modern"
	KindSynapseReadOnly = "synapse_read_only"
	KindSynapseLegacy   = "synapse_legacy"
)

// ErrLegacyUnsupported is returned by NewForKind for matrix.kind
// "synapse_legacy". That kind drove Synapse's admin API with the shared
// secret, which only worked while Synapse accepted it as the MSC3861
// admin_token (Synapse 1.156 and earlier); a current Synapse would try to
// introspect the secret as a user token and reject every call. Operators
// should switch to "synapse" with Synapse's matrix_authentication_service
// section (Synapse 1.136 or later).
var ErrLegacyUnsupported = errors.New(`matrix.kind "synapse_legacy" is not supported: use "synapse" with Synapse 1.136 or later and its matrix_authentication_service settings`)

// NewForKind builds the connection that matrix.kind selects.
func NewForKind(kind string, opts Options) (homeserver.Connection, error) {
	switch kind {
	case KindSynapse, KindSynapseModern, "":
		return New(opts)
	case KindSynapseReadOnly:
		c, err := New(opts)
		if err != nil {
			return nil, err
		}
		return ReadOnly(c), nil
	case KindSynapseLegacy:
		return nil, ErrLegacyUnsupported
	default:
		return nil, fmt.Errorf("unknown matrix.kind %q (expected %q, %q or %q)",
			kind, KindSynapse, KindSynapseModern, KindSynapseReadOnly)
	}
}
