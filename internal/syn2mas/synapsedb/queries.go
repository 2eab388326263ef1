package synapsedb

// Upstream's queries (synapse_reader/mod.rs and checks.rs), column for
// column. They run unchanged on SQLite: Synapse keeps its booleans there as
// integers 0/1, for which NOT, <> 0 and IS NULL mean the same.
const (
	queryUsers = `SELECT name, password_hash, admin, deactivated, locked, creation_ts, is_guest, appservice_id FROM users`

	queryThreepids = `SELECT user_id, medium, address, added_at FROM user_threepids`

	queryExternalIDs = `SELECT user_id, auth_provider, external_id FROM user_external_ids`

	// hidden IS NULL rows are excluded too: NOT NULL is not true.
	queryDevices = `SELECT user_id, device_id, display_name, last_seen, ip, user_agent FROM devices WHERE NOT hidden AND device_id != 'guest_device'`

	// Tokens of a known device (hidden ones included: the join is on all
	// devices), then device-less ones; puppeting and refreshable tokens
	// are left out.
	queryUnrefreshableTokens = `SELECT at0.user_id, at0.device_id, at0.token, at0.valid_until_ms, at0.last_validated
  FROM access_tokens at0
  INNER JOIN devices USING (user_id, device_id)
  WHERE at0.puppets_user_id IS NULL AND at0.refresh_token_id IS NULL
UNION ALL
SELECT at0.user_id, at0.device_id, at0.token, at0.valid_until_ms, at0.last_validated
  FROM access_tokens at0
  WHERE at0.puppets_user_id IS NULL AND at0.refresh_token_id IS NULL AND at0.device_id IS NULL`

	// A pair whose successor's access token was used has been replaced
	// for good: the client holds the successor.
	queryRefreshableTokens = `SELECT rt0.user_id, rt0.device_id, at0.token AS access_token, rt0.token AS refresh_token, at0.valid_until_ms, at0.last_validated
  FROM refresh_tokens rt0
  INNER JOIN devices USING (user_id, device_id)
  INNER JOIN access_tokens at0 ON at0.refresh_token_id = rt0.id AND at0.user_id = rt0.user_id AND at0.device_id = rt0.device_id
  LEFT JOIN access_tokens at1 ON at1.refresh_token_id = rt0.next_token_id
  WHERE NOT at1.used OR at1.used IS NULL`

	queryExternalIDProviders = `SELECT auth_provider, COUNT(*) AS num_users FROM user_external_ids GROUP BY auth_provider ORDER BY auth_provider`

	queryCountGuests = `SELECT COUNT(1) FROM users WHERE is_guest <> 0`

	queryCountNonEmailThreepids = `SELECT COUNT(1) FROM user_threepids WHERE medium <> 'email'`
)
