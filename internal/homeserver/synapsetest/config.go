package synapsetest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// relaxed is a rate limit no test reaches: every test client comes from
// 127.0.0.1 and many tests share one Synapse.
var relaxed = map[string]any{"per_second": 1000, "burst_count": 10000}

// homeserverConfig is the homeserver.yaml of one instance. JSON is YAML,
// so the file is written with encoding/json.
func (s *Synapse) homeserverConfig(port int) (map[string]any, error) {
	db, err := databaseSection(s.dir, s.databaseURL)
	if err != nil {
		return nil, err
	}
	cfg := map[string]any{
		"server_name":    s.ServerName,
		"pid_file":       filepath.Join(s.dir, "homeserver.pid"),
		"public_baseurl": s.clientFront.URL + "/",
		"listeners": []any{map[string]any{
			"port":           port,
			"bind_addresses": []string{"127.0.0.1"},
			"type":           "http",
			"tls":            false,
			"x_forwarded":    true,
			"resources":      []any{map[string]any{"names": []string{"client"}, "compress": false}},
		}},
		"database":                    db,
		"log_config":                  filepath.Join(s.dir, "log.yaml"),
		"media_store_path":            filepath.Join(s.dir, "media"),
		"signing_key_path":            filepath.Join(s.dir, "signing.key"),
		"report_stats":                false,
		"enable_metrics":              false,
		"trusted_key_servers":         []any{},
		"suppress_key_server_warning": true,
		"federation_domain_whitelist": []any{},
		"registration_shared_secret":  s.RegistrationSecret,
		"macaroon_secret_key":         s.macaroonKey,
		"form_secret":                 s.formSecret,
		"enable_registration":         false,
		"url_preview_enabled":         false,
		"presence":                    map[string]any{"enabled": false},
		"rc_message":                  relaxed,
		"rc_registration":             relaxed,
		"rc_login":                    map[string]any{"address": relaxed, "account": relaxed, "failed_attempts": relaxed},
		"rc_joins":                    map[string]any{"local": relaxed, "remote": relaxed},
		"rc_invites":                  map[string]any{"per_room": relaxed, "per_user": relaxed, "per_issuer": relaxed},
		"rc_admin_redaction":          relaxed,
		"rc_3pid_validation":          relaxed,
		"rc_delayed_event_mgmt":       relaxed,
		"rc_room_creation":            relaxed,
		"rc_reports":                  relaxed,
		"rc_key_requests":             relaxed,
		"bcrypt_rounds":               4,
		// A fresh database has a queue of background schema updates, some
		// of which add the unique indexes upserts rely on (on
		// profiles.full_user_id: reactivate_user fails with a 500 until
		// it exists). Run them flat out; Start waits for them.
		"background_updates":                map[string]any{"sleep_enabled": false, "background_update_duration_ms": 1000},
		"allow_guest_access":                false,
		"app_service_config_files":          []string{},
		"require_auth_for_profile_requests": false,
	}
	if s.opts.AppService != "" {
		cfg["app_service_config_files"] = []string{filepath.Join(s.dir, appServiceFile)}
	}
	switch s.currentMode() {
	case Delegated:
		cfg["matrix_authentication_service"] = map[string]any{
			"enabled":  true,
			"endpoint": s.authFront.URL + "/",
			"secret":   s.Secret,
		}
	case Legacy:
		pw := map[string]any{"enabled": true}
		if s.Pepper != "" {
			pw["pepper"] = s.Pepper
		}
		cfg["password_config"] = pw
		cfg["allow_guest_access"] = s.opts.GuestAccess
	}
	if editConfig != nil {
		editConfig(cfg)
	}
	return cfg, nil
}

// editConfig lets the tests break the configuration.
var editConfig func(map[string]any)

// databaseSection is SQLite in the instance folder, or the PostgreSQL
// database named by databaseURL.
func databaseSection(dir, databaseURL string) (map[string]any, error) {
	if databaseURL == "" {
		return map[string]any{
			"name": "sqlite3",
			"args": map[string]any{"database": filepath.Join(dir, "homeserver.db")},
		}, nil
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	args := map[string]any{
		"database": strings.TrimPrefix(u.Path, "/"),
		"host":     u.Hostname(),
		"user":     u.User.Username(),
		"cp_min":   1,
		"cp_max":   5,
	}
	if p := u.Port(); p != "" {
		args["port"] = p
	}
	if pw, ok := u.User.Password(); ok {
		args["password"] = pw
	}
	if mode := u.Query().Get("sslmode"); mode != "" {
		args["sslmode"] = mode
	}
	return map[string]any{"name": "psycopg2", "args": args}, nil
}

// logConfig sends Synapse's log to its standard output, which the harness
// captures.
const logConfig = `version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(levelname)s - %(request)s - %(message)s'
handlers:
  console:
    class: logging.StreamHandler
    formatter: precise
    stream: ext://sys.stdout
loggers:
  synapse.storage.SQL:
    level: INFO
  twisted:
    level: WARNING
root:
  level: INFO
  handlers: [console]
disable_existing_loggers: false
`

// writeFiles writes the configuration, log configuration, application
// service registration and, the first time, the signing key (kept by
// Restart, as a homeserver keeps its key). The key is written here rather
// than by Synapse's --generate-keys, which would cost a second Python
// start.
func (s *Synapse) writeFiles(port int) error {
	cfg, err := s.homeserverConfig(port)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	files := map[string]string{
		"homeserver.yaml": string(b),
		"log.yaml":        logConfig,
	}
	if s.opts.AppService != "" {
		if files[appServiceFile], err = s.appServiceRegistration(); err != nil {
			return err
		}
	}
	if _, err := os.Stat(filepath.Join(s.dir, "signing.key")); errors.Is(err, fs.ErrNotExist) {
		seed := make([]byte, 32)
		if _, err := rand.Read(seed); err != nil {
			return err
		}
		files["signing.key"] = "ed25519 a_test " + base64.RawStdEncoding.EncodeToString(seed) + "\n"
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(s.dir, name), []byte(content), 0o600); err != nil {
			return err
		}
	}
	return nil
}
