package homeservertest

import (
	"net/http"
	"strconv"
	"strings"
)

// maxUserIDLength is Synapse's MAX_USERID_LENGTH, applied to the full ID.
const maxUserIDLength = 255

func validLocalpartChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("=_-./+", c) >= 0
}

// checkUsername reproduces Synapse's RegistrationHandler.check_username, in
// its order, because the first failing rule decides the errcode a client
// sees. Callers hold s.mu.
func (s *Server) checkUsername(localpart string) *reply {
	for i := 0; i < len(localpart); i++ {
		if !validLocalpartChar(localpart[i]) {
			rep := matrixError(http.StatusBadRequest, "M_INVALID_USERNAME",
				"User ID can only contain characters a-z, 0-9, or '=_-./+'")
			return &rep
		}
	}
	if localpart == "" {
		rep := matrixError(http.StatusBadRequest, "M_INVALID_USERNAME", "User ID cannot be empty")
		return &rep
	}
	if localpart[0] == '_' {
		rep := matrixError(http.StatusBadRequest, "M_INVALID_USERNAME", "User ID may not begin with _")
		return &rep
	}
	userID := s.MXID(localpart)
	for _, re := range s.exclusive {
		if re.MatchString(userID) {
			rep := matrixError(http.StatusBadRequest, "M_EXCLUSIVE",
				"This user ID is reserved by an application service.")
			return &rep
		}
	}
	if len(userID) > maxUserIDLength {
		rep := matrixError(http.StatusBadRequest, "M_INVALID_USERNAME",
			"User ID may not be longer than "+strconv.Itoa(maxUserIDLength)+" characters")
		return &rep
	}
	for existing := range s.users {
		if strings.EqualFold(existing, localpart) {
			rep := matrixError(http.StatusBadRequest, "M_USER_IN_USE", "User ID already taken.")
			return &rep
		}
	}
	if isPythonInt(localpart) {
		rep := matrixError(http.StatusBadRequest, "M_INVALID_USERNAME",
			"Numeric user IDs are reserved for guest users.")
		return &rep
	}
	return nil
}

// isPythonInt reports whether Python's int() would accept s, which is how
// Synapse spots guest-style numeric localparts. Only characters that pass
// the localpart check matter: an optional sign, then digits that may be
// separated by single underscores.
func isPythonInt(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '_' {
			return false
		}
	}
	return true
}
