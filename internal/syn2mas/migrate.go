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
	"sync/atomic"
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
	reasonAppservice          = "application service user"
	reasonUnknownUser         = "unknown user"
	reasonUsernameCase        = "username differs only in case from another user's"
	reasonEmailTaken          = "email address already belongs to another user"
	reasonDuplicate           = "duplicate"
	reasonInactiveUser        = "deactivated or guest user"
	reasonNoProvider          = "provider not configured"
	reasonSkippedUserRows     = "row of a user not migrated"
)

// LockName is the advisory lock a load holds on PostgreSQL; import-upstream
// holds it too, so that the two exclude each other.
const LockName = "syn2mas-maswriter"

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
	idStr     string // id.String(), computed once
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
	// sessions are the compat sessions of the devices, by user and
	// device, assigned by the first token or device row that names one.
	sessions  map[sessionKey]*session
	providers map[string]domain.ID

	pending map[string]*batch
	stage   *StageSummary
	// out hands full batches to the writer goroutine (see write), so that
	// reading and mapping overlap with the database's writing.
	out     chan writeJob
	written chan error
	failed  atomic.Bool
}

// sessionKey names a device.
type sessionKey struct {
	user   domain.ID
	device string
}

// session is a device's compat session: its ID, when it was created (the
// first token's time), and whether its row is written.
type session struct {
	id      domain.ID
	created time.Time
	written bool
	admin   bool
}

// writeJob is a batch for the writer goroutine, or (rows nil) a barrier:
// done is closed once everything before it is written.
type writeJob struct {
	table   string
	columns []string
	rows    [][]any
	done    chan struct{}
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
		opts.Progress = NopProgress{}
	}
	if err := CheckDestination(ctx, b); err != nil {
		return nil, err
	}
	m := &migration{
		opts: opts, settings: s, ids: domain.NewIDGenerator(opts.Rand), log: opts.Logger,
		users: map[string]*user{}, usernames: map[string]string{}, emails: map[string]bool{},
		threepids: map[string]bool{}, links: map[string]bool{}, sessions: map[sessionKey]*session{},
		providers: map[string]domain.ID{}, pending: map[string]*batch{},
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
		Tables: tables, DryRun: opts.DryRun, LockName: LockName, Progress: opts.Progress.Step,
		// Tokens come before the devices whose sessions they point at, as
		// upstream orders them (a device's session takes its creation time
		// from its tokens).
		DeferForeignKeys: true,
	},
		func(w store.BulkWriter) error {
			m.w = w
			m.presize(ctx, src)
			m.startWriter(ctx)
			err := m.runStages(ctx, src, summary)
			// The writer's error explains a stop of the reading side.
			if werr := m.stopWriter(); werr != nil {
				err = werr
			}
			return err
		})
	if err != nil {
		return nil, err
	}
	summary.Duration = opts.Now().Sub(start)
	return summary, nil
}

// runStages migrates each entity in turn.
func (m *migration) runStages(ctx context.Context, src synapsedb.Source, summary *Summary) error {
	opts := m.opts
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
		// The stage is done once its rows are written.
		if err := m.barrier(ctx); err != nil {
			return err
		}
		m.stage.Duration = opts.Now().Sub(began)
		opts.Progress.Done(*m.stage)
		summary.Stages = append(summary.Stages, *m.stage)
	}
	return nil
}

// NopProgress hears nothing.
type NopProgress struct{}

func (NopProgress) Stage(string, int64)         {}
func (NopProgress) Update(string, int64, int64) {}
func (NopProgress) Done(StageSummary)           {}
func (NopProgress) Step(string)                 {}

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
	if err := m.send(ctx, writeJob{table: b.table, columns: b.columns, rows: b.rows}); err != nil {
		return err
	}
	b.rows = make([][]any, 0, batchRows)
	m.opts.Progress.Update(m.stage.Entity, m.stage.Migrated, m.stage.SkippedTotal())
	return nil
}

// errWriterFailed stops the reading side once the writer has failed; the
// writer's own error is the one reported.
var errWriterFailed = errors.New("the writer failed")

func (m *migration) send(ctx context.Context, j writeJob) error {
	if m.failed.Load() {
		return errWriterFailed
	}
	select {
	case m.out <- j:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// startWriter starts the goroutine that writes the batches, in order. A
// few batches wait at most, which bounds the memory in flight.
func (m *migration) startWriter(ctx context.Context) {
	m.out = make(chan writeJob, 4)
	m.written = make(chan error, 1)
	go func() {
		var err error
		for j := range m.out {
			switch {
			case j.rows == nil:
				close(j.done)
			case err == nil:
				if werr := m.w.Write(ctx, j.table, j.columns, j.rows); werr != nil {
					err = fmt.Errorf("writing %s: %w", j.table, werr)
					m.failed.Store(true)
				}
			}
		}
		m.written <- err
	}()
}

// barrier waits until every batch sent so far is written.
func (m *migration) barrier(ctx context.Context) error {
	done := make(chan struct{})
	if err := m.send(ctx, writeJob{done: done}); err != nil {
		return err
	}
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if m.failed.Load() {
		return errWriterFailed
	}
	return nil
}

// stopWriter ends the writer and returns its error.
func (m *migration) stopWriter() error {
	close(m.out)
	return <-m.written
}

// presize sizes the maps for the homeserver at hand (estimates only).
func (m *migration) presize(ctx context.Context, src synapsedb.Source) {
	if n, err := src.Estimate(ctx, "users"); err == nil && n > 0 {
		m.users = make(map[string]*user, n)
		m.usernames = make(map[string]string, n)
	}
	if n, err := src.Estimate(ctx, "devices"); err == nil && n > 0 {
		m.sessions = make(map[sessionKey]*session, n)
	}
	if n, err := src.Estimate(ctx, "user_threepids"); err == nil && n > 0 {
		m.emails = make(map[string]bool, n)
	}
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
		m.users[u.Name] = &user{id: id, idStr: id.String(), createdAt: created, admin: u.Admin, inactive: u.Deactivated || u.IsGuest}
		var locked, deactivated any
		if u.Locked {
			locked = created
		}
		if u.Deactivated {
			deactivated = created
		}
		if err := m.add(ctx, "users", m.users[u.Name].idStr, local, created, locked, deactivated, u.Admin, u.IsGuest); err != nil {
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
			if err := m.add(ctx, "user_emails", m.ids.New(added).String(), u.idStr, t.Address, added); err != nil {
				return err
			}
		} else {
			key := u.idStr + "\x00" + t.Medium + "\x00" + t.Address
			if m.threepids[key] {
				m.skip(ctx, reasonDuplicate, "user", t.UserID)
				return nil
			}
			m.threepids[key] = true
			if err := m.add(ctx, "user_unsupported_third_party_ids", u.idStr, t.Medium, t.Address, added); err != nil {
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
			u.idStr, u.createdAt); err != nil {
			return err
		}
		m.stage.Migrated++
		return nil
	})
}

// sessionFor returns the compat session of a user's device, assigning it
// (created at t) the first time.
func (m *migration) sessionFor(u *user, device string, t time.Time) *session {
	key := sessionKey{user: u.id, device: device}
	if s, ok := m.sessions[key]; ok {
		return s
	}
	s := &session{id: m.ids.New(t), created: t, admin: u.admin}
	m.sessions[key] = s
	return s
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
			if err := m.add(ctx, "compat_sessions", session.String(), u.idStr, nil, false, created,
				nil, nil, nil, nil); err != nil {
				return err
			}
		} else {
			session = m.sessionFor(u, *t.DeviceID, created).id
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
		session := m.sessionFor(u, t.DeviceID, created).id
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
		// A device without tokens gets a session created now, as upstream.
		sess := m.sessionFor(u, d.DeviceID, m.opts.Now().UTC())
		if sess.written {
			m.skip(ctx, reasonDuplicate, "user", d.UserID, "device_id", d.DeviceID)
			return nil
		}
		sess.written = true
		if err := m.add(ctx, "compat_sessions", sess.id.String(), u.idStr, d.DeviceID, u.admin, sess.created,
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
	keys := make([]sessionKey, 0)
	for key, sess := range m.sessions {
		if !sess.written {
			keys = append(keys, key)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].user != keys[j].user {
			return keys[i].user.Compare(keys[j].user) < 0
		}
		return keys[i].device < keys[j].device
	})
	for _, key := range keys {
		sess := m.sessions[key]
		m.log.DebugContext(ctx, "syn2mas: a session for tokens of a device not listed among the devices", "device_id", key.device)
		if err := m.add(ctx, "compat_sessions", sess.id.String(), key.user.String(), key.device, sess.admin, sess.created,
			nil, nil, nil, nil); err != nil {
			return err
		}
		sess.written = true
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
