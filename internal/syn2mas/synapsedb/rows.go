package synapsedb

import (
	"context"
	"fmt"
	"sync"
)

// A BadRowError is a row that breaks a guarantee of Synapse's schema, such
// as a NULL where Synapse never writes one. Only a damaged or hand-edited
// database has them, and there is nothing sensible to migrate such a row
// to, so the listing stops with this error rather than guessing.
//
// Columns checked, per table (every other column may be NULL and is passed
// on as nil):
//   - users: name (the row is then named by its position), creation_ts,
//     admin, deactivated, locked, is_guest;
//   - user_threepids: user_id, medium, address, added_at;
//   - user_external_ids: all three columns;
//   - devices: user_id, device_id;
//   - access_tokens: user_id, token (and, for refresh pairs, the refresh
//     token's user_id, device_id and token).
type BadRowError struct {
	Table  string
	Row    string // the user ID, or "#n" (1-based) when even that is missing
	Column string
}

func (e *BadRowError) Error() string {
	return fmt.Sprintf("Synapse table `%s`, row %s: column `%s` is NULL, which Synapse never writes; fix or delete the row and try again",
		e.Table, e.Row, e.Column)
}

// rowCursor is what both drivers' result sets offer.
type rowCursor interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// querier runs one statement of the snapshot; done closes its cursor.
type querier interface {
	query(ctx context.Context, q string, args ...any) (rows rowCursor, done func(), err error)
}

// source implements the listings on either driver: the queries and the
// scanning are the same, only the connection and Estimate differ.
type source struct {
	q        querier
	estimate func(ctx context.Context, table string) (int64, error)
	close    func() error

	closeOnce sync.Once
	closeErr  error
}

func (s *source) Estimate(ctx context.Context, table string) (int64, error) {
	if err := knownTable(table); err != nil {
		return 0, err
	}
	n, err := s.estimate(ctx, table)
	if err != nil {
		return 0, fmt.Errorf("synapsedb: estimating the rows of %s: %w", table, err)
	}
	return max(n, 0), nil // PostgreSQL says -1 for a table never analysed
}

// Close may be called again (a deferred Close after an explicit one).
func (s *source) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

// each runs q and calls row for each result row, in the order the
// database gives them. n is the row's 1-based position, for errors.
func (s *source) each(ctx context.Context, table, q string, row func(rows rowCursor, n int) error) error {
	rows, done, err := s.q.query(ctx, q)
	if err != nil {
		return fmt.Errorf("synapsedb: reading %s: %w", table, err)
	}
	defer done()
	n := 0
	for rows.Next() {
		n++
		if err := row(rows, n); err != nil {
			return err // fn's own error, or a BadRowError, as they are
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("synapsedb: reading %s: %w", table, err)
	}
	return nil
}

func scanErr(table string, n int, err error) error {
	return fmt.Errorf("synapsedb: reading %s, row #%d: %w", table, n, err)
}

func (s *source) Users(ctx context.Context, fn func(User) error) error {
	return s.each(ctx, "users", queryUsers, func(rows rowCursor, n int) error {
		var (
			name, hash, appservice             *string
			admin, deactivated, created, guest *int64
			locked                             *bool
		)
		if err := rows.Scan(&name, &hash, &admin, &deactivated, &locked, &created, &guest, &appservice); err != nil {
			return scanErr("users", n, err)
		}
		if missing := firstNull(col{"name", name == nil}, col{"creation_ts", created == nil}, col{"admin", admin == nil},
			col{"deactivated", deactivated == nil}, col{"locked", locked == nil}, col{"is_guest", guest == nil}); missing != "" {
			return &BadRowError{Table: "users", Row: rowName(name, n), Column: missing}
		}
		return fn(User{
			Name: *name, PasswordHash: hash, Admin: *admin != 0, Deactivated: *deactivated != 0,
			Locked: *locked, IsGuest: *guest != 0, CreationTS: *created, AppserviceID: appservice,
		})
	})
}

func (s *source) Threepids(ctx context.Context, fn func(Threepid) error) error {
	return s.each(ctx, "user_threepids", queryThreepids, func(rows rowCursor, n int) error {
		var user, medium, address *string
		var added *int64
		if err := rows.Scan(&user, &medium, &address, &added); err != nil {
			return scanErr("user_threepids", n, err)
		}
		if missing := firstNull(col{"user_id", user == nil}, col{"medium", medium == nil}, col{"address", address == nil}, col{"added_at", added == nil}); missing != "" {
			return &BadRowError{Table: "user_threepids", Row: rowName(user, n), Column: missing}
		}
		return fn(Threepid{UserID: *user, Medium: *medium, Address: *address, AddedAt: *added})
	})
}

func (s *source) ExternalIDs(ctx context.Context, fn func(ExternalID) error) error {
	return s.each(ctx, "user_external_ids", queryExternalIDs, func(rows rowCursor, n int) error {
		var user, provider, subject *string
		if err := rows.Scan(&user, &provider, &subject); err != nil {
			return scanErr("user_external_ids", n, err)
		}
		if missing := firstNull(col{"user_id", user == nil}, col{"auth_provider", provider == nil}, col{"external_id", subject == nil}); missing != "" {
			return &BadRowError{Table: "user_external_ids", Row: rowName(user, n), Column: missing}
		}
		return fn(ExternalID{UserID: *user, AuthProvider: *provider, ExternalID: *subject})
	})
}

func (s *source) Devices(ctx context.Context, fn func(Device) error) error {
	return s.each(ctx, "devices", queryDevices, func(rows rowCursor, n int) error {
		var d Device
		var user, device *string
		if err := rows.Scan(&user, &device, &d.DisplayName, &d.LastSeen, &d.IP, &d.UserAgent); err != nil {
			return scanErr("devices", n, err)
		}
		if missing := firstNull(col{"user_id", user == nil}, col{"device_id", device == nil}); missing != "" {
			return &BadRowError{Table: "devices", Row: rowName(user, n), Column: missing}
		}
		d.UserID, d.DeviceID = *user, *device
		return fn(d)
	})
}

func (s *source) UnrefreshableTokens(ctx context.Context, fn func(AccessToken) error) error {
	return s.each(ctx, "access_tokens", queryUnrefreshableTokens, func(rows rowCursor, n int) error {
		var t AccessToken
		var user, token *string
		if err := rows.Scan(&user, &t.DeviceID, &token, &t.ValidUntilMS, &t.LastValidated); err != nil {
			return scanErr("access_tokens", n, err)
		}
		if missing := firstNull(col{"user_id", user == nil}, col{"token", token == nil}); missing != "" {
			return &BadRowError{Table: "access_tokens", Row: rowName(user, n), Column: missing}
		}
		t.UserID, t.Token = *user, *token
		return fn(t)
	})
}

func (s *source) RefreshableTokens(ctx context.Context, fn func(RefreshPair) error) error {
	return s.each(ctx, "refresh_tokens", queryRefreshableTokens, func(rows rowCursor, n int) error {
		var p RefreshPair
		var user, device, access, refresh *string
		if err := rows.Scan(&user, &device, &access, &refresh, &p.ValidUntilMS, &p.LastValidated); err != nil {
			return scanErr("refresh_tokens", n, err)
		}
		// The joins compare user_id and device_id, so only the tokens
		// themselves can still be NULL here.
		if missing := firstNull(col{"access_tokens.token", access == nil}, col{"refresh_tokens.token", refresh == nil}); missing != "" {
			return &BadRowError{Table: "refresh_tokens", Row: rowName(user, n), Column: missing}
		}
		p.UserID, p.DeviceID, p.AccessToken, p.RefreshToken = *user, *device, *access, *refresh
		return fn(p)
	})
}

func (s *source) ExternalIDProviders(ctx context.Context) ([]ProviderCount, error) {
	var out []ProviderCount
	err := s.each(ctx, "user_external_ids", queryExternalIDProviders, func(rows rowCursor, n int) error {
		var p ProviderCount
		if err := rows.Scan(&p.AuthProvider, &p.Users); err != nil {
			return scanErr("user_external_ids", n, err)
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

func (s *source) CountGuests(ctx context.Context) (int64, error) {
	return s.count(ctx, "users", queryCountGuests)
}

func (s *source) CountNonEmailThreepids(ctx context.Context) (int64, error) {
	return s.count(ctx, "user_threepids", queryCountNonEmailThreepids)
}

func (s *source) count(ctx context.Context, table, q string) (int64, error) {
	var total int64
	err := s.each(ctx, table, q, func(rows rowCursor, n int) error {
		if err := rows.Scan(&total); err != nil {
			return scanErr(table, n, err)
		}
		return nil
	})
	return total, err
}

// col is a column that must not be NULL, and whether it is.
type col struct {
	name string
	null bool
}

// firstNull names the first NULL column of cols, or "".
func firstNull(cols ...col) string {
	for _, c := range cols {
		if c.null {
			return c.name
		}
	}
	return ""
}

func rowName(user *string, n int) string {
	if user != nil {
		return *user
	}
	return fmt.Sprintf("#%d", n)
}
