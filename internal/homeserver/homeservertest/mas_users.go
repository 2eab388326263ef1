package homeservertest

import (
	"encoding/json"
	"net/http"
	"time"
)

// Paths of the MAS API.
const (
	pathQueryUser              = "/_synapse/mas/query_user"
	pathProvisionUser          = "/_synapse/mas/provision_user"
	pathIsLocalpartAvailable   = "/_synapse/mas/is_localpart_available"
	pathDeleteUser             = "/_synapse/mas/delete_user"
	pathReactivateUser         = "/_synapse/mas/reactivate_user"
	pathSetDisplayName         = "/_synapse/mas/set_displayname"
	pathUnsetDisplayName       = "/_synapse/mas/unset_displayname"
	pathAllowCrossSigningReset = "/_synapse/mas/allow_cross_signing_reset"
	pathUpsertDevice           = "/_synapse/mas/upsert_device"
	pathUpdateDeviceName       = "/_synapse/mas/update_device_display_name"
	pathDeleteDevice           = "/_synapse/mas/delete_device"
	pathSyncDevices            = "/_synapse/mas/sync_devices"
)

// crossSigningResetWindow is how long allow_cross_signing_reset opens the
// window (Synapse's REPLACEMENT_PERIOD_MS).
const crossSigningResetWindow = 10 * time.Minute

// localpartOnly is the model of endpoints that only name a user.
var localpartOnly = schema{fields: []field{{name: "localpart", typ: tString, required: true}}}

// queryLocalpart reads the localpart query parameter like Synapse's
// parse_string: the first value, which must be ASCII.
func queryLocalpart(r *http.Request, required bool) (string, bool, *reply) {
	values, present := r.URL.Query()["localpart"]
	if !present || len(values) == 0 {
		if required {
			rep := matrixError(http.StatusBadRequest, "M_MISSING_PARAM", "Missing string query parameter 'localpart'")
			return "", false, &rep
		}
		return "", false, nil
	}
	v := values[0]
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 {
			rep := matrixError(http.StatusBadRequest, "M_UNKNOWN", "Query parameter 'localpart' must be ascii")
			return "", true, &rep
		}
	}
	return v, true, nil
}

func (s *Server) queryUser(r *http.Request, _ []byte) reply {
	localpart, _, rep := queryLocalpart(r, true)
	if rep != nil {
		return *rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[localpart]
	if !ok {
		return userNotFound()
	}
	return queryUserReply(s.MXID(localpart), u)
}

func queryUserReply(userID string, u *user) reply {
	type response struct {
		UserID        string  `json:"user_id"`
		DisplayName   *string `json:"display_name"`
		AvatarURL     *string `json:"avatar_url"`
		IsSuspended   bool    `json:"is_suspended"`
		IsDeactivated bool    `json:"is_deactivated"`
	}
	return okReply(response{
		UserID:        userID,
		DisplayName:   nullIfEmpty(u.displayName),
		AvatarURL:     nullIfEmpty(u.avatarURL),
		IsSuspended:   u.suspended,
		IsDeactivated: u.deactivated,
	})
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Server) isLocalpartAvailable(r *http.Request, _ []byte) reply {
	localpart, present, rep := queryLocalpart(r, false)
	if rep != nil {
		return *rep
	}
	if !present {
		return matrixError(http.StatusBadRequest, "M_UNKNOWN", "Missing localpart")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rep := s.checkUsername(localpart); rep != nil {
		return *rep
	}
	return empty(http.StatusOK)
}

var provisionSchema = schema{
	fields: []field{
		{name: "localpart", typ: tString, required: true},
		{name: "unset_displayname", typ: tBool},
		{name: "set_displayname", typ: tString, nullable: true},
		{name: "unset_avatar_url", typ: tBool},
		{name: "set_avatar_url", typ: tString, nullable: true},
		{name: "unset_emails", typ: tBool},
		{name: "set_emails", typ: tStringList, nullable: true},
		{name: "locked", typ: tBool, nullable: true},
	},
	exclusive: [][2]string{
		{"unset_displayname", "set_displayname"},
		{"unset_avatar_url", "set_avatar_url"},
		{"unset_emails", "set_emails"},
	},
}

func (s *Server) provisionUser(_ *http.Request, body []byte) reply {
	var req struct {
		Localpart        string    `json:"localpart"`
		UnsetDisplayName bool      `json:"unset_displayname"`
		SetDisplayName   *string   `json:"set_displayname"`
		UnsetAvatarURL   bool      `json:"unset_avatar_url"`
		SetAvatarURL     *string   `json:"set_avatar_url"`
		UnsetEmails      bool      `json:"unset_emails"`
		SetEmails        *[]string `json:"set_emails"`
		Locked           *bool     `json:"locked"`
	}
	if rep := decodeBody(body, provisionSchema, &req); rep != nil {
		return *rep
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	u, exists := s.users[req.Localpart]
	if !exists {
		// Registration does not run the localpart checks here: the
		// service already decided the localpart is acceptable.
		u = newUser(req.Localpart)
		if req.SetDisplayName != nil {
			u.displayName = *req.SetDisplayName
		}
		if req.SetEmails != nil {
			for _, e := range *req.SetEmails {
				u.emails[e] = struct{}{}
			}
		}
		s.users[req.Localpart] = u
	} else {
		switch {
		case req.UnsetDisplayName:
			u.displayName = ""
		case req.SetDisplayName != nil:
			u.displayName = *req.SetDisplayName
		}
		switch {
		case req.UnsetEmails:
			u.emails = map[string]struct{}{}
		case req.SetEmails != nil:
			u.emails = map[string]struct{}{}
			for _, e := range *req.SetEmails {
				u.emails[e] = struct{}{}
			}
		}
	}
	if req.Locked != nil {
		u.locked = *req.Locked
	}
	switch {
	case req.UnsetAvatarURL:
		u.avatarURL = ""
	case req.SetAvatarURL != nil:
		u.avatarURL = *req.SetAvatarURL
	}
	if exists {
		return empty(http.StatusOK)
	}
	return empty(http.StatusCreated)
}

var deleteUserSchema = schema{fields: []field{
	{name: "localpart", typ: tString, required: true},
	{name: "erase", typ: tBool, required: true},
}}

func (s *Server) deleteUser(_ *http.Request, body []byte) reply {
	type request struct {
		Erase bool `json:"erase"`
	}
	return withUser(s, body, deleteUserSchema, func(u *user, req request) reply {
		// Deactivation drops devices (which is what ends cached token
		// sessions), threepids and, when erasing, the profile.
		u.deactivated = true
		u.devices = map[string]*device{}
		u.emails = map[string]struct{}{}
		if req.Erase {
			u.erased = true
			u.displayName = ""
			u.avatarURL = ""
		}
		return empty(http.StatusOK)
	})
}

func (s *Server) reactivateUser(_ *http.Request, body []byte) reply {
	return withUser(s, body, localpartOnly, func(u *user, _ struct{}) reply {
		u.deactivated = false
		u.erased = false
		return empty(http.StatusOK)
	})
}

var setDisplayNameSchema = schema{fields: []field{
	{name: "localpart", typ: tString, required: true},
	{name: "displayname", typ: tString, required: true},
}}

func (s *Server) setDisplayName(_ *http.Request, body []byte) reply {
	type request struct {
		DisplayName string `json:"displayname"`
	}
	return withUser(s, body, setDisplayNameSchema, func(u *user, req request) reply {
		u.displayName = req.DisplayName
		return empty(http.StatusOK)
	})
}

func (s *Server) unsetDisplayName(_ *http.Request, body []byte) reply {
	return withUser(s, body, localpartOnly, func(u *user, _ struct{}) reply {
		u.displayName = ""
		return empty(http.StatusOK)
	})
}

func (s *Server) allowCrossSigningReset(_ *http.Request, body []byte) reply {
	return withUser(s, body, localpartOnly, func(u *user, _ struct{}) reply {
		u.crossSigningResetUntil = s.now().Add(crossSigningResetWindow)
		return empty(http.StatusOK)
	})
}

// withUser validates body against sc, decodes it into a T, finds the user
// it names and runs fn with the state lock held. Unknown users get
// Synapse's 404, after validation as in Synapse.
func withUser[T any](s *Server, body []byte, sc schema, fn func(u *user, req T) reply) reply {
	var req T
	if rep := decodeBody(body, sc, &req); rep != nil {
		return *rep
	}
	var who struct {
		Localpart string `json:"localpart"`
	}
	_ = json.Unmarshal(body, &who) // already validated
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[who.Localpart]
	if !ok {
		return userNotFound()
	}
	return fn(u, req)
}
