package synapseconfig

import (
	"net/url"
	"slices"
	"strings"
)

// config reads every key the migration looks at, each with Synapse's
// default when absent.
func (r *reader) config() *Config {
	root := r.rootSection()
	c := &Config{
		ServerName:    root.str("server_name", ""),
		PublicBaseURL: r.publicBaseURL(root),
		Database:      r.database(root),
		Password:      r.password(root),
		BcryptRounds:  root.integer("bcrypt_rounds", 12),

		EnableSetDisplayName:      root.boolean("enable_set_display_name", true),
		RegistrationRequiresToken: root.boolean("registration_requires_token", false),
		RegistrationsRequire3PID:  root.strList("registrations_require_3pid", nil),
		RecaptchaPublicKey:        root.str("recaptcha_public_key", ""),
		RecaptchaPrivateKey:       root.str("recaptcha_private_key", ""),

		AllowGuestAccess:               root.boolean("allow_guest_access", false),
		Enable3PIDChanges:              root.optBool("enable_3pid_changes"),
		LoginViaExistingSessionEnabled: root.enabled("login_via_existing_session", false),
		EnableRegistration:             root.boolean("enable_registration", false),
		EnableRegistrationCaptcha:      root.boolean("enable_registration_captcha", false),
		UserConsent:                    root.has("user_consent"),
		// Synapse turns CAS and SAML on for any non-empty section without
		// enabled: false (upstream's syn2mas wants an explicit true for CAS).
		CASEnabled: root.enabled("cas_config", true),
		SAML2:      root.enabled("saml2_config", true),
		JWTEnabled: root.enabled("jwt_config", false),
	}
	if v, _ := root.value("server_name"); v == nil || v == "" {
		r.fail("server_name", "required: Synapse's configuration must set it")
	}
	c.OIDCProviders = r.oidcProviders(root)
	return c
}

// publicBaseURL reads public_baseurl and, as Synapse does, ends it with a
// slash.
func (r *reader) publicBaseURL(root section) string {
	s := root.str("public_baseurl", "")
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail("public_baseurl", "%q is not an http or https URL", s)
		return ""
	}
	if !strings.HasSuffix(s, "/") {
		s += "/"
	}
	return s
}

// database finds the main database as Synapse does: `database`, or the
// entry of `databases` that holds the main data store, or a legacy
// `database_path` (SQLite), which Synapse ignores when either is set.
func (r *reader) database(root section) Database {
	db, hasDB := root.sub("database")
	hasDB = hasDB && len(db.m) > 0
	multi, hasMulti := root.sub("databases")
	hasMulti = hasMulti && len(multi.m) > 0
	switch {
	case hasDB && hasMulti:
		r.fail("databases", "Synapse refuses both `database` and `databases`")
	case hasDB:
		return databaseOf(db)
	case hasMulti:
		return r.mainDatabase(multi)
	case root.has("database_path"):
		return Database{Name: "sqlite3", Args: map[string]any{"database": root.str("database_path", "")}}
	default:
		r.fail("database", "required: Synapse's configuration has no database section")
	}
	return Database{Args: map[string]any{}}
}

func databaseOf(db section) Database {
	d := Database{Name: db.str("name", "sqlite3"), Args: map[string]any{}}
	if args, ok := db.sub("args"); ok {
		d.Args = args.m
	}
	return d
}

// mainDatabase picks the `databases` entry whose data_stores (all of
// them by default) include "main".
func (r *reader) mainDatabase(multi section) Database {
	var found []string
	for label := range multi.m {
		db, ok := multi.sub(label)
		if !ok {
			continue
		}
		if slices.Contains(db.strList("data_stores", []string{"main", "state"}), "main") {
			found = append(found, label)
		}
	}
	slices.Sort(found)
	switch len(found) {
	case 0:
		r.fail("databases", "no database holds the main data store (data_stores: [main])")
	case 1:
		db, _ := multi.sub(found[0])
		return databaseOf(db)
	default:
		r.fail("databases", "more than one database holds the main data store: %s", strings.Join(found, ", "))
	}
	return Database{Args: map[string]any{}}
}

// password reads password_config. enabled may also be "only_for_reauth":
// passwords then serve re-authentication only, not login.
func (r *reader) password(root section) PasswordConfig {
	p := PasswordConfig{Enabled: true, LocalDBEnabled: true}
	pc, ok := root.sub("password_config")
	if !ok {
		return p
	}
	if v, ok := pc.value("enabled"); ok && v == "only_for_reauth" {
		p.Enabled, p.OnlyForReauth = false, true
	} else {
		p.Enabled = pc.boolean("enabled", true)
	}
	p.LocalDBEnabled = pc.boolean("localdb_enabled", true)
	if pc.has("pepper") {
		p.Pepper, p.HasPepper = pc.str("pepper", ""), true
	}
	return p
}
