package syn2mas

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sort"
	"strings"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
	"mas/internal/syn2mas/synapsedb"
)

// Options adjust a migration.
type Options struct {
	// DryRun does everything, then rolls the destination back.
	DryRun bool
	// IgnoreMissingProviders skips the external IDs of a provider that
	// maps to none of ours instead of failing.
	IgnoreMissingProviders bool
	// Progress is told about each stage (nil: nothing).
	Progress Progress
	Logger   *slog.Logger
	// Now and Rand default to the wall clock and crypto/rand (tests fix
	// them).
	Now  func() time.Time
	Rand io.Reader
}

// Entities, in the order they are migrated (upstream's names, which the
// progress lines show).
const (
	EntityUsers               = "users"
	EntityThreepids           = "threepids"
	EntityExternalIDs         = "external_ids"
	EntityUnrefreshableTokens = "nonrefreshable_access_tokens"
	EntityRefreshableTokens   = "refreshable_tokens"
	EntityDevices             = "devices"
	batchRows                 = 4096
	lockName                  = "syn2mas-maswriter"
	reasonAppservice          = "application service user"
	reasonUnknownUser         = "unknown user"
	reasonUsernameCase        = "username differs only in case from another user's"
	reasonEmailTaken          = "email address already belongs to another user"
	reasonDuplicate           = "duplicate"
	reasonInactiveUser        = "deactivated or guest user"
	reasonNoProvider          = "provider not configured"
	reasonSkippedUserRows     = "row of a user not migrated"
)

// Summary is what a migration did, per entity.
type Summary struct {
	Stages   []StageSummary
	Duration time.Duration
}

// StageSummary is one entity's result.
type StageSummary struct {
	Entity   string
	Migrated int64
	// Skipped counts the rows not migrated, by reason.
	Skipped  map[string]int64
	Duration time.Duration
}

// SkippedTotal is the number of rows skipped for any reason.
func (s StageSummary) SkippedTotal() int64 {
	var n int64
	for _, c := range s.Skipped {
		n += c
	}
	return n
}

// Progress hears how the migration goes.
type Progress interface {
	// Stage starts an entity with its approximate row count.
	Stage(entity string, approx int64)
	// Update reports the counts so far (called per batch).
	Update(entity string, migrated, skipped int64)
	// Done ends the entity.
	Done(s StageSummary)
	// Step reports a step outside the entities (index rebuilds).
	Step(step string)
}

// user is what the later stages need to know about a migrated user.
type user struct {
	id        domain.ID
	createdAt time.Time
	admin     bool
	inactive  bool // deactivated or guest: no sessions
	skipped   bool // not migrated (application service, or a username clash)
}

// migration is one run's state.
type migration struct {
	opts     Options
	settings Settings
	w        store.BulkWriter
	ids      *domain.IDGenerator
	log      *slog.Logger

	users     map[string]*user // by full Matrix ID
	usernames map[string]string
	emails    map[string]bool
	threepids map[string]bool
	links     map[string]bool
	// sessions maps user\x00device to the compat session of the device;
	// written marks those whose row is written.
	sessions map[string]domain.ID
	written  map[string]bool
	// sessionTimes are the creation times of sessions first seen through
	// a token (the device row comes later).
	sessionTimes map[string]time.Time
	providers    map[string]domain.ID
	// admins are the IDs of the migrated Synapse admins.
	admins map[string]bool

	pending map[string]*batch
	stage   *StageSummary
}

// batch accumulates rows of one table.
type batch struct {
	table   string
	columns []string
	rows    [][]any
}

var tableColumns = map[string][]string{
	"users":                            {"user_id", "username", "created_at", "locked_at", "deactivated_at", "can_request_admin", "is_guest"},
	"user_passwords":                   {"user_password_id", "user_id", "hashed_password", "version", "created_at"},
	"user_emails":                      {"user_email_id", "user_id", "email", "created_at"},
	"user_unsupported_third_party_ids": {"user_id", "medium", "address", "created_at"},
	"upstream_oauth_links":             {"upstream_oauth_link_id", "upstream_oauth_provider_id", "subject", "user_id", "created_at"},
	"compat_sessions": {"compat_session_id", "user_id", "device_id", "is_synapse_admin", "created_at",
		"user_agent", "last_active_at", "last_active_ip", "human_name"},
	"compat_access_tokens":  {"compat_access_token_id", "compat_session_id", "access_token", "created_at", "expires_at"},
	"compat_refresh_tokens": {"compat_refresh_token_id", "compat_session_id", "compat_access_token_id", "refresh_token", "created_at"},
}

// Migrate copies the Synapse snapshot src into the empty destination b in
// one transaction: users, third-party IDs, external IDs (as upstream
// links), tokens and devices (as compat sessions). A failure, or a dry
// run, leaves the destination as it was.
func Migrate(ctx context.Context, src synapsedb.Source, b store.Bulk, s Settings, opts Options) (*Summary, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Progress == nil {
		opts.Progress = nopProgress{}
	}
	if err := CheckDestination(ctx, b); err != nil {
		return nil, err
	}
	m := &migration{
		opts: opts, settings: s, ids: domain.NewIDGenerator(opts.Rand), log: opts.Logger,
		users: map[string]*user{}, usernames: map[string]string{}, emails: map[string]bool{},
		threepids: map[string]bool{}, links: map[string]bool{}, sessions: map[string]domain.ID{},
		written: map[string]bool{}, sessionTimes: map[string]time.Time{}, providers: map[string]domain.ID{},
		admins:  map[string]bool{},
		pending: map[string]*batch{},
	}
	for _, p := range s.Providers {
		if p.SynapseIdpID != "" {
			m.providers[p.SynapseIdpID] = p.ID
		}
	}
	start := opts.Now()
	summary := &Summary{}
	tables := make([]string, 0, len(tableColumns))
	for t := range tableColumns {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	err := b.BulkLoad(ctx, store.BulkOptions{
		Tables: tables, DryRun: opts.DryRun, LockName: lockName, Progress: opts.Progress.Step,
		// Tokens come before the devices whose sessions they point at, as
		// upstream orders them (a device's session takes its creation time
		// from its tokens).
		DeferForeignKeys: true,
	},
		func(w store.BulkWriter) error {
			m.w = w
			stages := []struct {
				entity, table string
				run           func(context.Context, synapsedb.Source) error
			}{
				{EntityUsers, "users", m.migrateUsers},
				{EntityThreepids, "user_threepids", m.migrateThreepids},
				{EntityExternalIDs, "user_external_ids", m.migrateExternalIDs},
				{EntityUnrefreshableTokens, "access_tokens", m.migrateUnrefreshable},
				{EntityRefreshableTokens, "refresh_tokens", m.migrateRefreshable},
				{EntityDevices, "devices", m.migrateDevices},
			}
			for _, st := range stages {
				approx, err := src.Estimate(ctx, st.table)
				if err != nil {
					return err
				}
				if st.entity == EntityUnrefreshableTokens {
					// As upstream: access tokens minus refresh tokens.
					refresh, err := src.Estimate(ctx, "refresh_tokens")
					if err != nil {
						return err
					}
					approx = max(approx-refresh, 0)
				}
				m.stage = &StageSummary{Entity: st.entity, Skipped: map[string]int64{}}
				began := opts.Now()
				opts.Progress.Stage(st.entity, approx)
				if err := st.run(ctx, src); err != nil {
					return err
				}
				if err := m.flushAll(ctx); err != nil {
					return err
				}
				m.stage.Duration = opts.Now().Sub(began)
				opts.Progress.Done(*m.stage)
				summary.Stages = append(summary.Stages, *m.stage)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	summary.Duration = opts.Now().Sub(start)
	return summary, nil
}

type nopProgress struct{}

func (nopProgress) Stage(string, int64)         {}
func (nopProgress) Update(string, int64, int64) {}
func (nopProgress) Done(StageSummary)           {}
func (nopProgress) Step(string)                 {}

// add queues a row, writing the table's batch when it is full.
func (m *migration) add(ctx context.Context, table string, row ...any) error {
	b := m.pending[table]
	if b == nil {
		b = &batch{table: table, columns: tableColumns[table], rows: make([][]any, 0, batchRows)}
		m.pending[table] = b
	}
	b.rows = append(b.rows, row)
	if len(b.rows) >= batchRows {
		return m.flush(ctx, b)
	}
	return nil
}

func (m *migration) flush(ctx context.Context, b *batch) error {
	if len(b.rows) == 0 {
		return nil
	}
	if err := m.w.Write(ctx, b.table, b.columns, b.rows); err != nil {
		return fmt.Errorf("writing %s: %w", b.table, err)
	}
	b.rows = b.rows[:0]
	m.opts.Progress.Update(m.stage.Entity, m.stage.Migrated, m.stage.SkippedTotal())
	return nil
}

// flushAll writes every pending row, parents before children.
func (m *migration) flushAll(ctx context.Context) error {
	for _, t := range []string{"users", "user_passwords", "user_emails", "user_unsupported_third_party_ids",
		"upstream_oauth_links", "compat_sessions", "compat_access_tokens", "compat_refresh_tokens"} {
		if b := m.pending[t]; b != nil {
			if err := m.flush(ctx, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// skip counts a row not migrated and says why at debug level.
func (m *migration) skip(ctx context.Context, reason string, attrs ...any) {
	m.stage.Skipped[reason]++
	m.log.DebugContext(ctx, "syn2mas: row skipped", append([]any{"entity", m.stage.Entity, "reason", reason}, attrs...)...)
}

// localpart extracts the localpart of a Matrix ID of our server.
func (m *migration) localpart(mxid string) (string, error) {
	rest, ok := strings.CutPrefix(mxid, "@")
	local, server, found := strings.Cut(rest, ":")
	if !ok || !found {
		return "", fmt.Errorf("failed to extract localpart of %q: not a Matrix user ID", mxid)
	}
	if server != m.settings.ServerName {
		return "", fmt.Errorf("failed to extract localpart of %q: wrong server name: expected %q, got %q", mxid, m.settings.ServerName, server)
	}
	return local, nil
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func optMs(ms *int64) any {
	if ms == nil {
		return nil
	}
	return msTime(*ms)
}

func optStr(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func (m *migration) migrateUsers(ctx context.Context, src synapsedb.Source) error {
	return src.Users(ctx, func(u synapsedb.User) error {
		if u.AppserviceID != nil {
			if _, err := m.localpart(u.Name); err != nil {
				// Application services may own users of other shapes.
				m.log.WarnContext(ctx, "syn2mas: ignoring an application service user whose ID cannot be read", "user", u.Name, "error", err)
			} else {
				m.users[u.Name] = &user{skipped: true}
			}
			m.skip(ctx, reasonAppservice, "user", u.Name)
			return nil
		}
		local, err := m.localpart(u.Name)
		if err != nil {
			return err
		}
		lower := strings.ToLower(local)
		if other, taken := m.usernames[lower]; taken {
			m.log.WarnContext(ctx, "syn2mas: skipping a user whose username differs only in case from another's (usernames are unique regardless of case here)",
				"user", u.Name, "kept", other)
			m.users[u.Name] = &user{skipped: true} // its rows are skipped too
			m.skip(ctx, reasonUsernameCase, "user", u.Name)
			return nil
		}
		m.usernames[lower] = u.Name
		created := time.Unix(u.CreationTS, 0).UTC()
		id := m.ids.New(created)
		m.users[u.Name] = &user{id: id, createdAt: created, admin: u.Admin, inactive: u.Deactivated || u.IsGuest}
		if u.Admin {
			m.admins[id.String()] = true
		}
		var locked, deactivated any
		if u.Locked {
			locked = created
		}
		if u.Deactivated {
			deactivated = created
		}
		if err := m.add(ctx, "users", id.String(), local, created, locked, deactivated, u.Admin, u.IsGuest); err != nil {
			return err
		}
		if u.PasswordHash != nil && *u.PasswordHash != "" {
			if err := m.add(ctx, "user_passwords", m.ids.New(created).String(), id.String(), *u.PasswordHash,
				int64(migratedPasswordVersion), created); err != nil {
				return err
			}
		}
		m.stage.Migrated++
		return nil
	})
}

// owner returns the migrated user of a row, or skips the row.
func (m *migration) owner(ctx context.Context, mxid string) *user {
	u := m.users[mxid]
	switch {
	case u == nil:
		m.log.WarnContext(ctx, "syn2mas: skipping a row of an unknown user",
			"error", fmt.Sprintf("user %s was not found for migration but a row in %s was found for them", mxid, m.stage.Entity))
		m.skip(ctx, reasonUnknownUser, "user", mxid)
		return nil
	case u.skipped:
		m.skip(ctx, reasonSkippedUserRows, "user", mxid)
		return nil
	}
	return u
}

func (m *migration) migrateThreepids(ctx context.Context, src synapsedb.Source) error {
	return src.Threepids(ctx, func(t synapsedb.Threepid) error {
		u := m.owner(ctx, t.UserID)
		if u == nil {
			return nil
		}
		added := msTime(t.AddedAt)
		if t.Medium == "email" {
			key := strings.ToLower(t.Address)
			if m.emails[key] {
				m.log.WarnContext(ctx, "syn2mas: skipping an email address another user already has (addresses are unique regardless of case here)",
					"user", t.UserID, "email", t.Address)
				m.skip(ctx, reasonEmailTaken, "user", t.UserID)
				return nil
			}
			m.emails[key] = true
			if err := m.add(ctx, "user_emails", m.ids.New(added).String(), u.id.String(), t.Address, added); err != nil {
				return err
			}
		} else {
			key := u.id.String() + "\x00" + t.Medium + "\x00" + t.Address
			if m.threepids[key] {
				m.skip(ctx, reasonDuplicate, "user", t.UserID)
				return nil
			}
			m.threepids[key] = true
			if err := m.add(ctx, "user_unsupported_third_party_ids", u.id.String(), t.Medium, t.Address, added); err != nil {
				return err
			}
		}
		m.stage.Migrated++
		return nil
	})
}

// errMissingProvider is upstream's fatal error for an unmapped provider.
var errMissingProvider = errors.New("missing a mapping for the auth provider")

func (m *migration) migrateExternalIDs(ctx context.Context, src synapsedb.Source) error {
	return src.ExternalIDs(ctx, func(e synapsedb.ExternalID) error {
		u := m.owner(ctx, e.UserID)
		if u == nil {
			return nil
		}
		provider, ok := m.providers[e.AuthProvider]
		if !ok {
			if !m.opts.IgnoreMissingProviders {
				return fmt.Errorf("%w with ID %q", errMissingProvider, e.AuthProvider)
			}
			m.skip(ctx, reasonNoProvider, "user", e.UserID, "auth_provider", e.AuthProvider)
			return nil
		}
		key := provider.String() + "\x00" + e.ExternalID
		if m.links[key] {
			m.log.WarnContext(ctx, "syn2mas: skipping an external ID already linked to another user through the same provider",
				"user", e.UserID, "auth_provider", e.AuthProvider)
			m.skip(ctx, reasonDuplicate, "user", e.UserID)
			return nil
		}
		m.links[key] = true
		if err := m.add(ctx, "upstream_oauth_links", m.ids.New(u.createdAt).String(), provider.String(), e.ExternalID,
			u.id.String(), u.createdAt); err != nil {
			return err
		}
		m.stage.Migrated++
		return nil
	})
}

// sessionFor returns the compat session of a user's device, assigning it
// (created at t) the first time.
func (m *migration) sessionFor(u *user, device string, t time.Time) domain.ID {
	key := u.id.String() + "\x00" + device
	if id, ok := m.sessions[key]; ok {
		return id
	}
	id := m.ids.New(t)
	m.sessions[key] = id
	m.sessionTimes[key] = t
	return id
}

// tokenOwner returns the user a token or device row belongs to, when its
// sessions are migrated.
func (m *migration) tokenOwner(ctx context.Context, mxid string) *user {
	u := m.owner(ctx, mxid)
	if u != nil && u.inactive {
		m.skip(ctx, reasonInactiveUser, "user", mxid)
		return nil
	}
	return u
}

func (m *migration) tokenTime(lastValidated *int64) time.Time {
	if lastValidated != nil {
		return msTime(*lastValidated)
	}
	return m.opts.Now().UTC()
}

func (m *migration) migrateUnrefreshable(ctx context.Context, src synapsedb.Source) error {
	return src.UnrefreshableTokens(ctx, func(t synapsedb.AccessToken) error {
		u := m.tokenOwner(ctx, t.UserID)
		if u == nil {
			return nil
		}
		created := m.tokenTime(t.LastValidated)
		var session domain.ID
		if t.DeviceID == nil {
			// A token without device gets a session of its own.
			session = m.ids.New(created)
			if err := m.add(ctx, "compat_sessions", session.String(), u.id.String(), nil, false, created,
				nil, nil, nil, nil); err != nil {
				return err
			}
		} else {
			session = m.sessionFor(u, *t.DeviceID, created)
		}
		if err := m.add(ctx, "compat_access_tokens", m.ids.New(created).String(), session.String(), t.Token, created,
			optMs(t.ValidUntilMS)); err != nil {
			return err
		}
		m.stage.Migrated++
		return nil
	})
}

func (m *migration) migrateRefreshable(ctx context.Context, src synapsedb.Source) error {
	return src.RefreshableTokens(ctx, func(t synapsedb.RefreshPair) error {
		u := m.tokenOwner(ctx, t.UserID)
		if u == nil {
			return nil
		}
		created := m.tokenTime(t.LastValidated)
		session := m.sessionFor(u, t.DeviceID, created)
		access := m.ids.New(created)
		if err := m.add(ctx, "compat_access_tokens", access.String(), session.String(), t.AccessToken, created,
			optMs(t.ValidUntilMS)); err != nil {
			return err
		}
		if err := m.add(ctx, "compat_refresh_tokens", m.ids.New(created).String(), session.String(), access.String(),
			t.RefreshToken, created); err != nil {
			return err
		}
		m.stage.Migrated++
		return nil
	})
}

func (m *migration) migrateDevices(ctx context.Context, src synapsedb.Source) error {
	err := src.Devices(ctx, func(d synapsedb.Device) error {
		u := m.tokenOwner(ctx, d.UserID)
		if u == nil {
			return nil
		}
		key := u.id.String() + "\x00" + d.DeviceID
		if m.written[key] {
			m.skip(ctx, reasonDuplicate, "user", d.UserID, "device_id", d.DeviceID)
			return nil
		}
		created := m.opts.Now().UTC()
		if t, ok := m.sessionTimes[key]; ok {
			created = t
		}
		session := m.sessionFor(u, d.DeviceID, created)
		m.written[key] = true
		if err := m.add(ctx, "compat_sessions", session.String(), u.id.String(), d.DeviceID, u.admin, created,
			optStr(d.UserAgent), optMs(d.LastSeen), m.deviceIP(ctx, d), optStr(d.DisplayName)); err != nil {
			return err
		}
		m.stage.Migrated++
		return nil
	})
	if err != nil {
		return err
	}
	// Tokens of devices the device listing leaves out (hidden ones) still
	// need their session: write a bare one rather than lose the tokens.
	keys := make([]string, 0)
	for key := range m.sessions {
		if !m.written[key] {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	for _, key := range keys {
		userID, device, _ := strings.Cut(key, "\x00")
		admin := m.admins[userID]
		m.log.DebugContext(ctx, "syn2mas: a session for tokens of a device not listed among the devices", "device_id", device)
		if err := m.add(ctx, "compat_sessions", m.sessions[key].String(), userID, device, admin, m.sessionTimes[key],
			nil, nil, nil, nil); err != nil {
			return err
		}
		m.written[key] = true
	}
	return nil
}

// deviceIP is the device's last IP address: "-" means none, and an
// address that does not parse is dropped with a warning.
func (m *migration) deviceIP(ctx context.Context, d synapsedb.Device) any {
	if d.IP == nil || *d.IP == "" || *d.IP == "-" {
		return nil
	}
	addr, err := netip.ParseAddr(*d.IP)
	if err != nil {
		m.log.WarnContext(ctx, "syn2mas: dropping a device's IP address that does not parse", "user", d.UserID, "device_id", d.DeviceID, "ip", *d.IP)
		return nil
	}
	return addr.String()
}
