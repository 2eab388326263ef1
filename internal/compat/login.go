package compat

import (
	"net/http"

	"mas/internal/domain"
	"mas/internal/policy"
)

// Login types of the Matrix client-server API.
const (
	loginTypePassword   = policy.LoginTypePassword
	loginTypeToken      = policy.LoginTypeToken
	loginTypeSSO        = policy.LoginTypeSSO
	loginTypeAppservice = "m.login.application_service"
	identifierTypeUser  = "m.id.user"
)

// loginFlow is one entry of GET /login. The SSO flow tells clients that
// this server is OAuth-aware, under the stable name and MSC3824's unstable
// one for older clients, so that they prefer the OAuth 2.0 API when they
// speak it. No identity providers are listed: there is only this service.
type loginFlow struct {
	Type                       string `json:"type"`
	OAuthAwarePreferred        bool   `json:"oauth_aware_preferred,omitempty"`
	DelegatedOIDCCompatibility bool   `json:"org.matrix.msc3824.delegated_oidc_compatibility,omitempty"`
}

// loginFlows serves GET /_matrix/client/{version}/login.
func (h *Handler) loginFlows(w http.ResponseWriter, _ *http.Request) {
	var flows []loginFlow
	if h.Login.PasswordsEnabled() {
		flows = append(flows, loginFlow{Type: loginTypePassword})
	}
	flows = append(flows,
		loginFlow{Type: loginTypeSSO, OAuthAwarePreferred: true, DelegatedOIDCCompatibility: true},
		loginFlow{Type: loginTypeToken},
	)
	writeJSON(w, http.StatusOK, struct {
		Flows []loginFlow `json:"flows"`
	}{flows})
}

// loginRequest is a decoded POST /login body.
type loginRequest struct {
	// Type is the login type as sent; unknown types are kept so that the
	// handler can refuse them after the body has been validated.
	Type string
	// User is who logs in with a password: the deprecated top-level "user"
	// when present (it wins, as on Synapse), else the m.id.user
	// identifier's. Empty with identifierErr set when neither works.
	User          string
	identifierErr *matrixError
	Password      string
	Token         string
	// RefreshToken asks for an expiring access token and a refresh token.
	RefreshToken bool
	// DeviceID is the device to log in as; empty generates one.
	DeviceID string
	// DisplayName is initial_device_display_name.
	DisplayName string
}

// parseLoginRequest checks the body's shape the way upstream's typed
// decoder does: a malformed known member is M_BAD_JSON whatever the login
// type, while members of an unknown login type are not looked at.
func parseLoginRequest(obj jsonObject) (*loginRequest, *matrixError) {
	var req loginRequest
	var e *matrixError
	if req.Type, e = obj.str("type"); e != nil {
		return nil, e
	}
	if req.RefreshToken, e = obj.flag("refresh_token"); e != nil {
		return nil, e
	}
	if req.DeviceID, _, e = obj.optStr("device_id"); e != nil {
		return nil, e
	}
	if req.DeviceID != "" && !domain.IsDeviceID(req.DeviceID) {
		return nil, errInvalidDeviceID
	}
	if req.DisplayName, _, e = obj.optStr("initial_device_display_name"); e != nil {
		return nil, e
	}
	switch req.Type {
	case loginTypePassword:
		if req.Password, e = obj.str("password"); e != nil {
			return nil, e
		}
		user, hasUser, e := obj.optStr("user")
		if e != nil {
			return nil, e
		}
		identifier, e := obj.object("identifier")
		if e != nil {
			return nil, e
		}
		var idUser string
		idType := ""
		if identifier != nil {
			if idType, e = identifier.str("type"); e != nil {
				return nil, e
			}
			if idType == identifierTypeUser {
				if idUser, e = identifier.str("user"); e != nil {
					return nil, e
				}
			}
		}
		switch {
		case hasUser:
			req.User = user
		case identifier == nil:
			req.identifierErr = errMissingIdentifier
		case idType == identifierTypeUser:
			req.User = idUser
		default:
			req.identifierErr = errIdentifierType
		}
	case loginTypeToken:
		if req.Token, e = obj.str("token"); e != nil {
			return nil, e
		}
	}
	return &req, nil
}

// loginResponse is the body of a successful login.
type loginResponse struct {
	AccessToken  string `json:"access_token"`
	DeviceID     string `json:"device_id"`
	UserID       string `json:"user_id"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresInMS  int64  `json:"expires_in_ms,omitempty"`
}

// login serves POST /_matrix/client/{version}/login.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	obj, e := readJSONObject(w, r, false)
	if e != nil {
		writeError(w, e)
		return
	}
	req, e := parseLoginRequest(obj)
	if e != nil {
		writeError(w, e)
		return
	}
	resp, e := h.doLogin(r, req)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (h *Handler) doLogin(r *http.Request, req *loginRequest) (*loginResponse, *matrixError) {
	var (
		auth *authenticated
		e    *matrixError
	)
	switch {
	case req.Type == loginTypePassword && h.Login.PasswordsEnabled():
		if req.identifierErr != nil {
			return nil, req.identifierErr
		}
		auth, e = h.passwordLogin(r.Context(), req.User, req.Password)
	case req.Type == loginTypeToken:
		auth, e = h.tokenLogin(r.Context(), req.Token)
	case req.Type == loginTypeAppservice:
		// Matrix 1.17: a server without the legacy API for appservices
		// says so with a dedicated code, so bridges can tell this apart
		// from a typo.
		return nil, errAppservice
	default:
		return nil, errLoginType
	}
	if e != nil {
		return nil, e
	}
	return h.startSession(r, req, auth)
}
