package importupstream

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"mas/internal/domain"
)

// uuid scans an ID as upstream stores it; String is its ULID text.
type uuid [16]byte

func (u uuid) String() string { return domain.ID(u).String() }

// ScanUUID lets pgx scan a UUID column into it.
func (u *uuid) ScanUUID(v pgtype.UUID) error {
	if !v.Valid {
		return fmt.Errorf("unexpected NULL ID")
	}
	*u = v.Bytes
	return nil
}

// Reasons rows are not imported, as the summary lines count them.
const (
	reasonUsernameCase  = "username taken in another case"
	reasonEmailCase     = "address taken in another case"
	reasonNoMethod      = "no password or upstream login"
	reasonUnconfirmed   = "never confirmed"
	reasonOwners        = "not exactly one owner"
	reasonSecondActive  = "another usable token in the session"
	reasonConfigured    = "already configured here, kept"
	reasonParentSkipped = "of a skipped "
)

// The decisions below are taken before the load, on upstream's data as a
// whole: which of several rows that collide here is kept. Each row left
// out is reported at warn level with the one kept.

// decideUsernames keeps one user of each group whose usernames differ
// only in case (upstream allows them; usernames are unique regardless of
// case here): the one not deactivated, then the one whose username is
// lowercase (the form upstream's policies allow today), then the oldest.
func (r *run) decideUsernames(ctx context.Context) error {
	users := r.src.qualified("users")
	deactivated := "FALSE"
	if r.src.columns["users"]["deactivated_at"] {
		deactivated = "deactivated_at IS NOT NULL"
	}
	// Grouped by the database's lower(), which the unique index here
	// uses too.
	rows, err := r.src.tx.Query(ctx, `SELECT lower(username), user_id, username, created_at, `+deactivated+` FROM `+users+`
		WHERE lower(username) IN (SELECT lower(username) FROM `+users+` GROUP BY 1 HAVING count(*) > 1)
		ORDER BY lower(username), created_at, user_id`)
	if err != nil {
		return fmt.Errorf("looking for usernames that differ only in case: %w", err)
	}
	type user struct {
		id          uuid
		name        string
		created     time.Time
		deactivated bool
	}
	groups := map[string][]user{}
	var order []string
	var u user
	var key string
	_, err = pgx.ForEachRow(rows, []any{&key, &u.id, &u.name, &u.created, &u.deactivated}, func() error {
		if groups[key] == nil {
			order = append(order, key)
		}
		groups[key] = append(groups[key], u)
		return nil
	})
	if err != nil {
		return fmt.Errorf("looking for usernames that differ only in case: %w", err)
	}
	better := func(a, b user) bool { // rows come oldest first
		if a.deactivated != b.deactivated {
			return !a.deactivated
		}
		la, lb := a.name == strings.ToLower(a.name), b.name == strings.ToLower(b.name)
		return la && !lb
	}
	for _, key := range order {
		group := groups[key]
		kept := group[0]
		for _, c := range group[1:] {
			if better(c, kept) {
				kept = c
			}
		}
		for _, c := range group {
			if c.id == kept.id {
				continue
			}
			r.decide(c.id.String(), reasonUsernameCase)
			r.log.Warn(fmt.Sprintf("user %q (%s) not imported: its username differs only in case from %q (%s), which is kept; "+
				"usernames are unique regardless of case here. Its passwords, emails, sessions, tokens and links are not imported either.",
				c.name, c.id, kept.name, kept.id),
				"table", "users", "id", c.id.String(), "kept", kept.id.String())
		}
	}
	return nil
}

// decideEmails keeps one row of each group of addresses that differ only
// in case (upstream does not make addresses unique; this service does,
// regardless of case): a row of a user being imported and not
// deactivated, then the oldest. Rows of users not imported do not count.
func (r *run) decideEmails(ctx context.Context) error {
	emails, users := r.src.qualified("user_emails"), r.src.qualified("users")
	deactivated := "FALSE"
	if r.src.columns["users"]["deactivated_at"] {
		deactivated = "u.deactivated_at IS NOT NULL"
	}
	rows, err := r.src.tx.Query(ctx, `SELECT lower(e.email), e.user_email_id, e.user_id, e.email, u.username, `+deactivated+`
		FROM `+emails+` e JOIN `+users+` u ON u.user_id = e.user_id
		WHERE lower(e.email) IN (SELECT lower(email) FROM `+emails+` GROUP BY 1 HAVING count(*) > 1)
		ORDER BY lower(e.email), e.created_at, e.user_email_id`)
	if err != nil {
		return fmt.Errorf("looking for email addresses that differ only in case: %w", err)
	}
	type email struct {
		id, user    uuid
		address     string
		username    string
		deactivated bool
	}
	groups := map[string][]email{}
	var order []string
	var e email
	var key string
	_, err = pgx.ForEachRow(rows, []any{&key, &e.id, &e.user, &e.address, &e.username, &e.deactivated}, func() error {
		if _, out := r.decided[e.user.String()]; out {
			return nil // goes with its user
		}
		if groups[key] == nil {
			order = append(order, key)
		}
		groups[key] = append(groups[key], e)
		return nil
	})
	if err != nil {
		return fmt.Errorf("looking for email addresses that differ only in case: %w", err)
	}
	for _, key := range order {
		group := groups[key]
		kept := group[0]
		for _, c := range group[1:] {
			if kept.deactivated && !c.deactivated {
				kept = c
			}
		}
		for _, c := range group {
			if c.id == kept.id {
				continue
			}
			r.decide(c.id.String(), reasonEmailCase)
			whose := fmt.Sprintf("of user %q (%s)", kept.username, kept.user)
			if kept.user == c.user {
				whose = "of the same user"
			}
			r.log.Warn(fmt.Sprintf("email %q (%s) of user %q (%s) not imported: it differs only in case from %q %s, which is kept; "+
				"addresses are unique regardless of case here.", c.address, c.id, c.username, c.user, kept.address, whose),
				"table", "user_emails", "id", c.id.String(), "kept", kept.id.String())
		}
	}
	return nil
}

// decidePersonalTokens keeps the newest usable token of a personal
// session that has several (this service allows one; upstream's schema
// does too, so this only guards against a damaged database).
func (r *run) decidePersonalTokens(ctx context.Context) error {
	if !r.src.has("personal_access_tokens") {
		return nil
	}
	pats := r.src.qualified("personal_access_tokens")
	rows, err := r.src.tx.Query(ctx, `SELECT personal_access_token_id, personal_session_id FROM `+pats+`
		WHERE revoked_at IS NULL AND personal_session_id IN (
			SELECT personal_session_id FROM `+pats+` WHERE revoked_at IS NULL GROUP BY 1 HAVING count(*) > 1)
		ORDER BY personal_session_id, personal_access_token_id DESC`)
	if err != nil {
		return fmt.Errorf("looking for personal sessions with several usable tokens: %w", err)
	}
	var id, session, kept, last uuid
	_, err = pgx.ForEachRow(rows, []any{&id, &session}, func() error {
		if session != last {
			last, kept = session, id
			return nil
		}
		r.decide(id.String(), reasonSecondActive)
		r.log.Warn(fmt.Sprintf("personal access token %s not imported: personal session %s has a newer usable token (%s), which is kept; "+
			"a personal session has one usable token here.", id, session, kept),
			"table", "personal_access_tokens", "id", id.String(), "kept", kept.String())
		return nil
	})
	if err != nil {
		return fmt.Errorf("looking for personal sessions with several usable tokens: %w", err)
	}
	return nil
}

// rowChecks are the rules a single row must follow here that upstream's
// schema does not enforce. Each returns the reason and the report, or "".
var rowChecks = map[string]func(v []any) (reason, report string){
	// Only confirmed addresses are kept here; an old upstream database
	// may still hold addresses nobody confirmed.
	"user_emails": func(v []any) (string, string) {
		if v[4] == true {
			return "", ""
		}
		return reasonUnconfirmed, fmt.Sprintf("email %q (%s) of user %s not imported: it was never confirmed, and every address here is.", v[2], v[0], v[1])
	},
	// A browser-session authentication here is a password check or an
	// upstream login, exactly one of the two; upstream also records
	// passkey logins, which have neither.
	"user_session_authentications": func(v []any) (string, string) {
		password, upstream := v[3] != nil, v[4] != nil
		if password != upstream {
			return "", ""
		}
		if password {
			return reasonNoMethod, fmt.Sprintf("browser session authentication %s of browser session %s not imported: it names both a password "+
				"and an upstream login, and an authentication is one or the other here.", v[0], v[1])
		}
		return reasonNoMethod, fmt.Sprintf("browser session authentication %s of browser session %s not imported: it names neither a password "+
			"nor an upstream login (upstream's passkey logins have no equivalent here); the session stays signed in.", v[0], v[1])
	},
	// A personal session is owned by a user or by a client, not both.
	"personal_sessions": func(v []any) (string, string) {
		if (v[1] == nil) != (v[2] == nil) {
			return "", ""
		}
		return reasonOwners, fmt.Sprintf("personal session %s not imported: it must be owned by exactly one user or client.", v[0])
	},
}
