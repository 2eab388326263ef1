package synapsegen

// The columns Generate writes, per table (the others keep their defaults:
// users.approved NULL and suspended false, as for users registered before
// those columns existed).
var (
	usersColumns         = []string{"name", "password_hash", "creation_ts", "admin", "is_guest", "appservice_id", "deactivated", "locked"}
	threepidsColumns     = []string{"user_id", "medium", "address", "validated_at", "added_at"}
	externalIDsColumns   = []string{"auth_provider", "external_id", "user_id"}
	devicesColumns       = []string{"user_id", "device_id", "display_name", "last_seen", "ip", "user_agent", "hidden"}
	accessTokensColumns  = []string{"id", "user_id", "device_id", "token", "valid_until_ms", "puppets_user_id", "last_validated", "refresh_token_id", "used"}
	refreshTokensColumns = []string{"id", "user_id", "device_id", "token", "next_token_id"}
)

// loadTables are the tables in the order they are loaded, with their
// columns; a chunk holds one encoder per table in this order.
var loadTables = []struct {
	name    string
	columns []string
}{
	{"users", usersColumns},
	{"user_threepids", threepidsColumns},
	{"user_external_ids", externalIDsColumns},
	{"devices", devicesColumns},
	{"refresh_tokens", refreshTokensColumns},
	{"access_tokens", accessTokensColumns},
}

// encoder receives a row's values in column order; each backend encodes
// them its way (COPY text, INSERT arguments). Booleans stored as smallint
// by Synapse go through smallint.
type encoder interface {
	str(string)
	strp(*string)
	int(int64)
	intp(*int64)
	boolean(bool)
	boolp(*bool)
	smallint(bool)
	end()
}

// encode writes a user's rows to the six encoders, in loadTables order.
func encode(rows *Rows, enc [6]encoder) {
	u, e := rows.User, enc[0]
	e.str(u.Name)
	e.strp(u.PasswordHash)
	e.int(u.CreationTS)
	e.smallint(u.Admin)
	e.smallint(u.IsGuest)
	e.strp(u.AppserviceID)
	e.smallint(u.Deactivated)
	e.boolean(u.Locked)
	e.end()
	for _, t := range rows.Threepids {
		e := enc[1]
		e.str(t.UserID)
		e.str(t.Medium)
		e.str(t.Address)
		e.int(t.ValidatedAt)
		e.int(t.AddedAt)
		e.end()
	}
	for _, x := range rows.ExternalIDs {
		e := enc[2]
		e.str(x.AuthProvider)
		e.str(x.ExternalID)
		e.str(x.UserID)
		e.end()
	}
	for _, d := range rows.Devices {
		e := enc[3]
		e.str(d.UserID)
		e.str(d.DeviceID)
		e.strp(d.DisplayName)
		e.intp(d.LastSeen)
		e.strp(d.IP)
		e.strp(d.UserAgent)
		e.boolp(d.Hidden)
		e.end()
	}
	for _, t := range rows.RefreshTokens {
		e := enc[4]
		e.int(t.ID)
		e.str(t.UserID)
		e.str(t.DeviceID)
		e.str(t.Token)
		e.intp(t.NextTokenID)
		e.end()
	}
	for _, t := range rows.AccessTokens {
		e := enc[5]
		e.int(t.ID)
		e.str(t.UserID)
		e.strp(t.DeviceID)
		e.str(t.Token)
		e.intp(t.ValidUntilMS)
		e.strp(t.PuppetsUserID)
		e.intp(t.LastValidated)
		e.intp(t.RefreshTokenID)
		e.boolp(t.Used)
		e.end()
	}
}
