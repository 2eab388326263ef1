package importupstream

// kind says how a column is read from upstream and what it becomes here.
type kind int

const (
	kindID    kind = iota // UUID → ULID text
	kindText              // TEXT
	kindTime              // TIMESTAMPTZ
	kindBool              // BOOLEAN
	kindInt               // INTEGER or BIGINT → int64
	kindBytes             // BYTEA
	kindJSON              // JSONB, read as its text
	kindIP                // INET → the address alone ("192.0.2.1", no /32)
	kindScope             // TEXT[] → space-separated, as OAuth writes scopes
	kindList              // TEXT[] → a JSON array
)

// column is one value of a row: read from upstream's column src (or the
// SQL expression expr), written to our column dst.
type column struct {
	src string
	// expr, when set, is read instead of src: a value computed from the
	// row (the creation time in an ID, a claim of a JSON column).
	expr string
	dst  string
	kind kind
	// ref names the imported table the value points at: a row whose
	// parent was skipped is skipped too.
	ref string
	// def is the SQL value read when upstream's table lacks the column
	// (it came with a later release); "" makes the column required.
	def string
}

// table is one table to import. Both services call it the same.
type table struct {
	name string
	// pk says the first column is the row's own ID (every table but the
	// third-party IDs, whose key is composite).
	pk    bool
	cols  []column
	order string // ORDER BY: parents before the rows that point at them
	// optional tables came with a later upstream release: an older
	// database without them has nothing to import there.
	optional bool
	// noun names the rows in summaries ("browser sessions") and one of
	// them in reports ("browser session").
	noun, one string
	// build, when set, makes the written row from the values read: the
	// columns with a dst, then extra. It may report what it could not
	// carry over (warnings).
	build func(v values) (row []any, warnings []string, err error)
	extra []string
}

// dsts lists the columns written.
func (t *table) dsts() []string {
	out := make([]string, 0, len(t.cols)+len(t.extra))
	for _, c := range t.cols {
		if c.dst != "" {
			out = append(out, c.dst)
		}
	}
	return append(out, t.extra...)
}

// values are a row as read, by column.
type values struct {
	cols []column
	v    []any
}

func (vs values) get(src string) any {
	for i, c := range vs.cols {
		if c.src == src && c.expr == "" {
			return vs.v[i]
		}
	}
	panic("importupstream: no column " + src)
}

// str reads a text column; NULL reads as "".
func (vs values) str(src string) string {
	s, _ := vs.get(src).(string)
	return s
}

func (vs values) flag(src string) bool {
	b, _ := vs.get(src).(bool)
	return b
}

// written is the row of the columns with a dst.
func (vs values) written() []any {
	out := make([]any, 0, len(vs.v))
	for i, c := range vs.cols {
		if c.dst != "" {
			out = append(out, vs.v[i])
		}
	}
	return out
}

func id(name string) column { return column{src: name, dst: name, kind: kindID} }

func ref(name, table string) column { return column{src: name, dst: name, kind: kindID, ref: table} }

func col(name string, k kind) column { return column{src: name, dst: name, kind: k} }

// later is a column that came with a later upstream release.
func later(c column, def string) column {
	c.def = def
	return c
}

// ulidTime is the creation instant a ULID (stored as a UUID) carries in
// its first 48 bits, in milliseconds.
func ulidTime(idColumn string) string {
	return `to_timestamp(('x' || left(replace(` + idColumn + `::text, '-', ''), 12))::bit(48)::bigint / 1000.0)`
}

// tables are imported in this order, each after the tables it points at.
// oauth2_refresh_tokens goes newest first: a consumed token points at the
// newer token it was exchanged for.
var tables = []*table{
	{name: "users", pk: true, noun: "users", one: "user", cols: []column{
		id("user_id"), col("username", kindText), col("created_at", kindTime), col("locked_at", kindTime),
		later(col("deactivated_at", kindTime), "NULL"), later(col("can_request_admin", kindBool), "FALSE"),
		later(col("is_guest", kindBool), "FALSE"),
	}},
	{name: "user_passwords", pk: true, noun: "passwords", one: "password", cols: []column{
		id("user_password_id"), ref("user_id", "users"), col("hashed_password", kindText), col("version", kindInt),
		ref("upgraded_from_id", "user_passwords"), col("created_at", kindTime),
	}},
	{name: "user_emails", pk: true, noun: "emails", one: "email", cols: []column{
		id("user_email_id"), ref("user_id", "users"), col("email", kindText), col("created_at", kindTime),
		// Releases before 2025 kept unconfirmed addresses too; every
		// address here is confirmed.
		{src: "confirmed_at", expr: "confirmed_at IS NOT NULL", kind: kindBool, def: "TRUE"},
	}},
	{name: "user_unsupported_third_party_ids", optional: true, noun: "other third-party IDs", one: "third-party ID",
		order: "user_id, medium, address", cols: []column{
			ref("user_id", "users"), col("medium", kindText), col("address", kindText), col("created_at", kindTime),
		}},
	{name: "user_sessions", pk: true, noun: "browser sessions", one: "browser session", cols: []column{
		id("user_session_id"), ref("user_id", "users"), col("created_at", kindTime), col("finished_at", kindTime),
		col("user_agent", kindText), later(col("last_active_at", kindTime), "NULL"),
		later(col("last_active_ip", kindIP), "NULL"),
	}},
	providersTable,
	{name: "upstream_oauth_links", pk: true, noun: "upstream links", one: "upstream link", cols: []column{
		id("upstream_oauth_link_id"), ref("upstream_oauth_provider_id", "upstream_oauth_providers"),
		ref("user_id", "users"), col("subject", kindText), later(col("human_account_name", kindText), "NULL"),
		col("created_at", kindTime),
	}},
	{name: "upstream_oauth_authorization_sessions", pk: true, noun: "upstream login attempts", one: "upstream login attempt", cols: []column{
		id("upstream_oauth_authorization_session_id"), ref("upstream_oauth_provider_id", "upstream_oauth_providers"),
		ref("upstream_oauth_link_id", "upstream_oauth_links"), later(ref("user_session_id", "user_sessions"), "NULL"),
		col("state", kindText), col("code_verifier", kindText), later(col("nonce", kindText), "NULL"),
		col("id_token", kindText), later(col("id_token_claims", kindJSON), "NULL"),
		later(col("userinfo", kindJSON), "NULL"), later(col("extra_callback_parameters", kindJSON), "NULL"),
		col("created_at", kindTime), col("completed_at", kindTime), col("consumed_at", kindTime),
		later(col("unlinked_at", kindTime), "NULL"),
		// Back-channel logout here looks attempts up by these two claims,
		// which upstream indexes inside the JSON instead.
		later(column{src: "id_token_claims", expr: "id_token_claims ->> 'sub'", dst: "id_token_sub", kind: kindText}, "NULL"),
		later(column{src: "id_token_claims", expr: "id_token_claims ->> 'sid'", dst: "id_token_sid", kind: kindText}, "NULL"),
	}},
	{name: "user_session_authentications", pk: true, noun: "browser session authentications", one: "browser session authentication", cols: []column{
		id("user_session_authentication_id"), ref("user_session_id", "user_sessions"), col("created_at", kindTime),
		ref("user_password_id", "user_passwords"),
		ref("upstream_oauth_authorization_session_id", "upstream_oauth_authorization_sessions"),
	}},
	{name: "oauth2_clients", pk: true, noun: "OAuth 2.0 clients", one: "OAuth 2.0 client", cols: []column{
		id("oauth2_client_id"), col("encrypted_client_secret", kindText), col("redirect_uris", kindList),
		later(col("grant_type_authorization_code", kindBool), "FALSE"),
		later(col("grant_type_refresh_token", kindBool), "FALSE"),
		later(col("grant_type_client_credentials", kindBool), "FALSE"),
		later(col("grant_type_device_code", kindBool), "FALSE"),
		col("client_name", kindText), col("logo_uri", kindText), col("client_uri", kindText),
		col("policy_uri", kindText), col("tos_uri", kindText), col("jwks", kindJSON), col("jwks_uri", kindText),
		col("id_token_signed_response_alg", kindText), col("userinfo_signed_response_alg", kindText),
		col("token_endpoint_auth_method", kindText), col("token_endpoint_auth_signing_alg", kindText),
		col("initiate_login_uri", kindText), later(col("application_type", kindText), "NULL"),
		later(col("contacts", kindList), "'{}'::text[]"), later(col("is_static", kindBool), "FALSE"),
		later(col("metadata_digest", kindText), "NULL"),
		// Upstream keeps no creation time: the ID carries it.
		{src: "oauth2_client_id", expr: ulidTime("oauth2_client_id"), dst: "created_at", kind: kindTime},
	}},
	{name: "oauth2_sessions", pk: true, noun: "OAuth 2.0 sessions", one: "OAuth 2.0 session", cols: []column{
		id("oauth2_session_id"), ref("oauth2_client_id", "oauth2_clients"), ref("user_id", "users"),
		ref("user_session_id", "user_sessions"), col("scope_list", kindScope), col("created_at", kindTime),
		col("finished_at", kindTime), later(col("user_agent", kindText), "NULL"),
		later(col("last_active_at", kindTime), "NULL"), later(col("last_active_ip", kindIP), "NULL"),
		later(col("human_name", kindText), "NULL"),
	}},
	{name: "oauth2_access_tokens", pk: true, noun: "OAuth 2.0 access tokens", one: "OAuth 2.0 access token", cols: []column{
		id("oauth2_access_token_id"), ref("oauth2_session_id", "oauth2_sessions"), col("access_token", kindText),
		col("created_at", kindTime), col("expires_at", kindTime), col("revoked_at", kindTime),
		later(col("first_used_at", kindTime), "NULL"),
	}},
	{name: "oauth2_refresh_tokens", pk: true, noun: "OAuth 2.0 refresh tokens", one: "OAuth 2.0 refresh token",
		order: "oauth2_refresh_token_id DESC", cols: []column{
			id("oauth2_refresh_token_id"), ref("oauth2_session_id", "oauth2_sessions"),
			ref("oauth2_access_token_id", "oauth2_access_tokens"), col("refresh_token", kindText),
			col("created_at", kindTime), col("consumed_at", kindTime), col("revoked_at", kindTime),
			later(ref("next_oauth2_refresh_token_id", "oauth2_refresh_tokens"), "NULL"),
		}},
	{name: "compat_sessions", pk: true, noun: "compatibility sessions", one: "compatibility session", cols: []column{
		id("compat_session_id"), ref("user_id", "users"), col("device_id", kindText),
		later(ref("user_session_id", "user_sessions"), "NULL"), later(col("is_synapse_admin", kindBool), "FALSE"),
		col("created_at", kindTime), col("finished_at", kindTime), later(col("user_agent", kindText), "NULL"),
		later(col("last_active_at", kindTime), "NULL"), later(col("last_active_ip", kindIP), "NULL"),
		later(col("human_name", kindText), "NULL"),
	}},
	{name: "compat_access_tokens", pk: true, noun: "compatibility access tokens", one: "compatibility access token", cols: []column{
		id("compat_access_token_id"), ref("compat_session_id", "compat_sessions"), col("access_token", kindText),
		col("created_at", kindTime), col("expires_at", kindTime),
	}},
	{name: "compat_refresh_tokens", pk: true, noun: "compatibility refresh tokens", one: "compatibility refresh token", cols: []column{
		id("compat_refresh_token_id"), ref("compat_session_id", "compat_sessions"),
		ref("compat_access_token_id", "compat_access_tokens"), col("refresh_token", kindText),
		col("created_at", kindTime), col("consumed_at", kindTime),
	}},
	{name: "personal_sessions", pk: true, optional: true, noun: "personal sessions", one: "personal session", cols: []column{
		id("personal_session_id"), ref("owner_user_id", "users"), ref("owner_oauth2_client_id", "oauth2_clients"),
		ref("actor_user_id", "users"), col("human_name", kindText), col("scope_list", kindScope),
		col("created_at", kindTime), col("revoked_at", kindTime), col("last_active_at", kindTime),
		col("last_active_ip", kindIP),
	}},
	{name: "personal_access_tokens", pk: true, optional: true, noun: "personal access tokens", one: "personal access token", cols: []column{
		id("personal_access_token_id"), ref("personal_session_id", "personal_sessions"),
		col("access_token_sha256", kindBytes), col("created_at", kindTime), col("expires_at", kindTime),
		col("revoked_at", kindTime),
	}},
	{name: "user_registration_tokens", pk: true, optional: true, noun: "registration tokens", one: "registration token", cols: []column{
		id("user_registration_token_id"), col("token", kindText), col("usage_limit", kindInt),
		col("times_used", kindInt), col("created_at", kindTime), col("last_used_at", kindTime),
		col("expires_at", kindTime), col("revoked_at", kindTime),
	}},
	{name: "policy_data", pk: true, optional: true, noun: "policy data versions", one: "policy data version", cols: []column{
		id("policy_data_id"), col("data", kindJSON), col("created_at", kindTime),
	}},
}

// Nouns name each table's rows in the summary lines.
var Nouns = func() map[string]string {
	m := make(map[string]string, len(tables))
	for _, t := range tables {
		m[t.name] = t.noun
	}
	return m
}()

// Tables are the tables the import writes, in order.
func Tables() []string {
	out := make([]string, len(tables))
	for i, t := range tables {
		out[i] = t.name
	}
	return out
}

func tableNamed(name string) *table {
	for _, t := range tables {
		if t.name == name {
			return t
		}
	}
	return nil
}
