package homeservertest

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// accessToken extracts a token the way Synapse does: from a single
// "Authorization: Bearer" header, else from the access_token query
// parameter. The reply is Synapse's 401 M_MISSING_TOKEN.
func accessToken(r *http.Request) (string, *reply) {
	if headers := r.Header.Values("Authorization"); len(headers) > 0 {
		if len(headers) > 1 {
			rep := matrixError(http.StatusUnauthorized, "M_MISSING_TOKEN", "Too many Authorization headers.")
			return "", &rep
		}
		parts := strings.Split(headers[0], " ")
		if len(parts) == 2 && parts[0] == "Bearer" {
			return parts[1], nil
		}
		rep := matrixError(http.StatusUnauthorized, "M_MISSING_TOKEN", "Invalid Authorization header.")
		return "", &rep
	}
	if values, ok := r.URL.Query()["access_token"]; ok && len(values) > 0 {
		return values[0], nil
	}
	rep := matrixError(http.StatusUnauthorized, "M_MISSING_TOKEN", "Missing access token")
	return "", &rep
}

// masOnly guards a /_synapse/mas/* handler: only the shared secret gets in.
func (s *Server) masOnly(h handler) handler {
	return func(r *http.Request, body []byte) reply {
		token, rep := accessToken(r)
		if rep != nil {
			return *rep
		}
		if subtle.ConstantTimeCompare([]byte(token), []byte(s.secret)) != 1 {
			return matrixError(http.StatusForbidden, "M_UNKNOWN", "This endpoint must only be called by MAS")
		}
		return h(r, body)
	}
}
