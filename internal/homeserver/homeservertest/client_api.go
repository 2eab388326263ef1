package homeservertest

import (
	"net/http"
	"strings"
)

// Scopes Synapse accepts as granting the client-server API, and the
// prefixes of the scopes that carry a device ID (stable and MSC2967 forms).
const (
	scopeAPIStable      = "urn:matrix:client:api:*"
	scopeAPIUnstable    = "urn:matrix:org.matrix.msc2967.client:api:*"
	scopeDeviceStable   = "urn:matrix:client:device:"
	scopeDeviceUnstable = "urn:matrix:org.matrix.msc2967.client:device:"
)

// maxDeviceIDLength bounds device IDs taken from an introspection answer.
const maxDeviceIDLength = 255

func (s *Server) routeTable() map[string]route {
	mas := func(h handler) route { return route{http.MethodPost: s.masOnly(h)} }
	whoami := route{http.MethodGet: s.whoami}
	return map[string]route{
		pathQueryUser:              {http.MethodGet: s.masOnly(s.queryUser)},
		pathIsLocalpartAvailable:   {http.MethodGet: s.masOnly(s.isLocalpartAvailable)},
		pathProvisionUser:          mas(s.provisionUser),
		pathDeleteUser:             mas(s.deleteUser),
		pathReactivateUser:         mas(s.reactivateUser),
		pathSetDisplayName:         mas(s.setDisplayName),
		pathUnsetDisplayName:       mas(s.unsetDisplayName),
		pathAllowCrossSigningReset: mas(s.allowCrossSigningReset),
		pathUpsertDevice:           mas(s.upsertDevice),
		pathUpdateDeviceName:       mas(s.updateDeviceDisplayName),
		pathDeleteDevice:           mas(s.deleteDevice),
		pathSyncDevices:            mas(s.syncDevices),

		"/_matrix/client/versions":          {http.MethodGet: s.versions},
		"/.well-known/matrix/client":        {http.MethodGet: s.wellKnown},
		"/_matrix/client/v3/account/whoami": whoami,
		"/_matrix/client/r0/account/whoami": whoami,
	}
}

func (s *Server) versions(*http.Request, []byte) reply {
	return okReply(map[string]any{
		"versions": []string{
			"r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1",
			"v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9",
			"v1.10", "v1.11", "v1.12",
		},
		"unstable_features": map[string]bool{},
	})
}

func (s *Server) wellKnown(*http.Request, []byte) reply {
	return okReply(map[string]any{
		"m.homeserver": map[string]string{"base_url": s.URL() + "/"},
	})
}

// whoami authenticates the request the way Synapse does when it delegates
// auth, so tests see exactly the effects of the service's introspection
// answers (scopes, device, expiry, caching).
func (s *Server) whoami(r *http.Request, _ []byte) reply {
	token, rep := accessToken(r)
	if rep != nil {
		return *rep
	}
	info, err := s.introspect.lookup(token)
	if err != nil {
		return matrixError(http.StatusServiceUnavailable, "M_UNKNOWN", "Unable to introspect the access token")
	}
	if !info.isActive(s.now()) {
		return unknownToken("Token is not active")
	}
	scopes := map[string]bool{}
	if info.scope != nil {
		for _, sc := range strings.Split(*info.scope, " ") {
			scopes[sc] = true
		}
	}
	if !scopes[scopeAPIStable] && !scopes[scopeAPIUnstable] {
		return unknownToken("Token doesn't grant access to the Matrix C-S API")
	}
	if info.username == nil {
		return matrixError(http.StatusInternalServerError, "M_FORBIDDEN", "Invalid username claim in the introspection result")
	}
	localpart := *info.username
	userID := s.MXID(localpart)

	s.mu.Lock()
	_, known := s.users[localpart]
	s.mu.Unlock()
	if !known {
		return matrixError(http.StatusInternalServerError, "M_FORBIDDEN", "User not found")
	}

	deviceID, rep := deviceFromIntrospection(info, scopes)
	if rep != nil {
		return *rep
	}
	if deviceID != "" && !s.hasDevice(localpart, deviceID) {
		// The device was deleted (logout on the service side): forget the
		// cached answer so the token dies now rather than in two minutes.
		s.introspect.evict(token)
		return unknownToken("Token is not active")
	}

	type response struct {
		UserID   string `json:"user_id"`
		DeviceID string `json:"device_id,omitempty"`
		IsGuest  bool   `json:"is_guest"`
	}
	return okReply(response{UserID: userID, DeviceID: deviceID, IsGuest: false})
}

// deviceFromIntrospection takes the explicit device_id, else the one device
// named by the scopes (either form).
func deviceFromIntrospection(info *tokenInfo, scopes map[string]bool) (string, *reply) {
	var deviceID string
	if info.deviceID != nil {
		deviceID = *info.deviceID
	} else {
		found := map[string]bool{}
		for sc := range scopes {
			if id, ok := strings.CutPrefix(sc, scopeDeviceStable); ok {
				found[id] = true
			} else if id, ok := strings.CutPrefix(sc, scopeDeviceUnstable); ok {
				found[id] = true
			}
		}
		if len(found) > 1 {
			rep := matrixError(http.StatusInternalServerError, "M_FORBIDDEN", "Multiple device IDs in scope")
			return "", &rep
		}
		for id := range found {
			deviceID = id
		}
		if len(found) == 0 {
			return "", nil
		}
	}
	if deviceID == "" || len(deviceID) > maxDeviceIDLength {
		rep := matrixError(http.StatusInternalServerError, "M_FORBIDDEN", "Invalid device ID in introspection result")
		return "", &rep
	}
	return deviceID, nil
}

func (s *Server) hasDevice(localpart, deviceID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[localpart]
	if !ok {
		return false
	}
	_, ok = u.devices[deviceID]
	return ok
}
