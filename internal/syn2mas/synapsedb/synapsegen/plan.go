package synapsegen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Rows of the six tables, column for column as Synapse writes them (the
// columns the generator leaves at their default are not listed). Times:
// CreationTS in seconds, the others in milliseconds.

type UserRow struct {
	Name                        string
	PasswordHash                *string
	CreationTS                  int64
	Admin, IsGuest, Deactivated bool // smallint 0/1
	AppserviceID                *string
	Locked                      bool
}

type ThreepidRow struct {
	UserID, Medium, Address string
	ValidatedAt, AddedAt    int64
}

type ExternalIDRow struct {
	AuthProvider, ExternalID, UserID string
}

type DeviceRow struct {
	UserID, DeviceID string
	DisplayName      *string
	LastSeen         *int64
	IP, UserAgent    *string
	Hidden           *bool
}

type AccessTokenRow struct {
	ID             int64
	UserID         string
	DeviceID       *string
	Token          string
	ValidUntilMS   *int64
	PuppetsUserID  *string
	LastValidated  *int64
	RefreshTokenID *int64
	Used           *bool
}

type RefreshTokenRow struct {
	ID               int64
	UserID, DeviceID string
	Token            string
	NextTokenID      *int64
}

// Rows are everything Generate writes for one user (plus, with
// Bad.OrphanDevices, a device of a user that does not exist).
type Rows struct {
	User          UserRow
	Threepids     []ThreepidRow
	ExternalIDs   []ExternalIDRow
	Devices       []DeviceRow
	AccessTokens  []AccessTokenRow
	RefreshTokens []RefreshTokenRow
}

type kind int

const (
	kindRegular kind = iota
	kindAdmin
	kindLocked
	kindAppservice
	kindGuest
	kindDeactivated
)

// Generator plans the rows of a homeserver.
type Generator struct {
	opts Options
	hash string
}

// New checks opts and prepares the password hash (one bcrypt, cost 4).
func New(opts Options) (*Generator, error) {
	if opts.Users < 0 {
		return nil, fmt.Errorf("synapsegen: %d users", opts.Users)
	}
	if opts.ServerName == "" {
		return nil, fmt.Errorf("synapsegen: no server name")
	}
	if opts.ExternalIDs > 0 && len(opts.AuthProviders) == 0 {
		return nil, fmt.Errorf("synapsegen: external IDs asked for, but no auth providers")
	}
	h, err := passwordHash(opts.Pepper)
	if err != nil {
		return nil, err
	}
	return &Generator{opts: opts, hash: h}, nil
}

// Time span of the homeserver: users registered from 2019 on, over five
// years; "now" is the end of it.
const (
	epoch = 1546300800 // 2019-01-01T00:00:00Z, seconds
	span  = 5 * 365 * 86400
	nowMS = (epoch + span) * 1000
)

// kindOf is user i's kind: the first users are one of each kind asked for,
// the others are drawn (by hash, so that any user's kind is known without
// planning the ones before it).
func (g *Generator) kindOf(i int) kind {
	o := g.opts
	forced := []struct {
		k    kind
		rate float64
	}{{kindAdmin, o.Admins}, {kindAppservice, o.Appservice}, {kindGuest, o.Guests}, {kindDeactivated, o.Deactivated}, {kindLocked, o.Locked}}
	if i < len(forced) && forced[i].rate > 0 {
		return forced[i].k
	}
	u := unit(mix(o.Seed, uint64(i), 2))
	for _, f := range []struct {
		k    kind
		rate float64
	}{{kindAppservice, o.Appservice}, {kindGuest, o.Guests}, {kindDeactivated, o.Deactivated}, {kindLocked, o.Locked}, {kindAdmin, o.Admins}} {
		if u < f.rate {
			return f.k
		}
		u -= f.rate
	}
	return kindRegular
}

func (g *Generator) serverOf(i int, k kind) string {
	if (k == kindRegular || k == kindLocked) && i > 0 && unit(mix(g.opts.Seed, uint64(i), 3)) < g.opts.Bad.ForeignUsers {
		return "other.example"
	}
	return g.opts.ServerName
}

func (g *Generator) userID(i int) string {
	k := g.kindOf(i)
	return "@" + localpart(g.opts.Seed, i, k) + ":" + g.serverOf(i, k)
}

// email is the address an ordinary user i would have.
func (g *Generator) email(i int) string {
	h := mix(g.opts.Seed, uint64(i), 4)
	return localpart(g.opts.Seed, i, g.kindOf(i)) + "@" + emailDomains[h%uint64(len(emailDomains))]
}

// Plan returns user i's rows, exactly as Generate writes them.
func (g *Generator) Plan(i int) Rows {
	var st state
	var rows Rows
	g.fill(&st, i, &rows)
	return rows
}

// state is a worker's reusable random source.
type state struct {
	pcg rand.PCG
	r   *rand.Rand
}

// fill plans user i into rows (reusing its slices).
func (g *Generator) fill(st *state, i int, rows *Rows) {
	if st.r == nil {
		st.r = rand.New(&st.pcg)
	}
	st.pcg.Seed(g.opts.Seed, uint64(i))
	r, o := st.r, g.opts
	*rows = Rows{
		Threepids: rows.Threepids[:0], ExternalIDs: rows.ExternalIDs[:0], Devices: rows.Devices[:0],
		AccessTokens: rows.AccessTokens[:0], RefreshTokens: rows.RefreshTokens[:0],
	}
	k := g.kindOf(i)
	local := localpart(o.Seed, i, k)
	name := "@" + local + ":" + g.serverOf(i, k)
	created := epoch + int64(i)*span/int64(max(o.Users, 1)) + r.Int64N(60)
	rows.User = UserRow{Name: name, CreationTS: created}
	ordinary := k == kindRegular || k == kindAdmin || k == kindLocked
	switch k {
	case kindAdmin:
		rows.User.Admin = true
	case kindLocked:
		rows.User.Locked = true
	case kindGuest:
		rows.User.IsGuest = true
	case kindDeactivated:
		rows.User.Deactivated = true
	case kindAppservice:
		as := "bridge"
		rows.User.AppserviceID = &as
	}

	// Token ids are unique by construction: 32 per user is more than
	// any user gets.
	nextID := int64(i) * 32
	newID := func() int64 { nextID++; return nextID }
	ms := func(from int64) int64 { return from + r.Int64N(max(nowMS-from, 1)) }
	createdMS := created * 1000

	linked := false
	if (ordinary || k == kindDeactivated) && r.Float64() < o.ExternalIDs {
		linked = true
		h1, h2 := mix(o.Seed, uint64(i), 5), mix(o.Seed, uint64(i), 6)
		sub := fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", uint32(h1), uint16(h1>>32), uint16(h1>>48)&0xfff, uint16(h2)&0x3fff|0x8000, uint64(i)&0xffffffffffff)
		rows.ExternalIDs = append(rows.ExternalIDs, ExternalIDRow{
			AuthProvider: o.AuthProviders[r.IntN(len(o.AuthProviders))], ExternalID: sub, UserID: name,
		})
	}
	if ordinary && !(linked && r.Float64() < 0.5) {
		h := g.hash
		rows.User.PasswordHash = &h
	}
	if ordinary {
		if r.Float64() < o.Emails {
			addr := g.email(i)
			if i%2 == 1 && unit(mix(o.Seed, uint64(i), 7)) < o.Bad.CaseDuplicateEmails {
				if prev := g.Plan(i - 1); len(prev.Threepids) > 0 && prev.Threepids[0].Medium == "email" {
					addr = strings.ToUpper(prev.Threepids[0].Address[:1]) + prev.Threepids[0].Address[1:]
				}
			}
			added := createdMS + r.Int64N(86400000)
			rows.Threepids = append(rows.Threepids, ThreepidRow{UserID: name, Medium: "email", Address: addr, ValidatedAt: added, AddedAt: added})
		}
		if r.Float64() < o.Phones {
			added := ms(createdMS)
			rows.Threepids = append(rows.Threepids, ThreepidRow{
				UserID: name, Medium: "msisdn", Address: "44" + strconv.FormatInt(7000000000+int64(i), 10), ValidatedAt: added, AddedAt: added,
			})
		}
	}

	devices := 0
	switch {
	case ordinary:
		devices = pick(r, o.Devices)
	case k == kindGuest:
		devices = 1
	case k == kindAppservice, k == kindDeactivated: // deactivated: left over, to be skipped
		if len(o.Devices) > 0 && r.Float64() < 0.5 {
			devices = 1
		}
	}
	devices = min(devices, 7) // 7 devices of 4 token ids each, and 3 more, fit in 32
	for range devices {
		id := deviceID(r)
		if k == kindGuest && r.Float64() < 0.2 {
			id = "guest_device" // legacy guests share it; the listing skips it
		}
		if hasDevice(rows.Devices, id) {
			continue
		}
		d := DeviceRow{UserID: name, DeviceID: id}
		if r.Float64() < 0.8 {
			d.DisplayName = ptr(deviceNames[r.IntN(len(deviceNames))])
		}
		if r.Float64() < 0.9 {
			d.LastSeen = ptr(ms(createdMS))
			if r.Float64() < 0.95 {
				addr, _ := ip(r)
				d.IP = &addr
			}
			if r.Float64() < 0.9 {
				d.UserAgent = ptr(userAgents[r.IntN(len(userAgents))])
			}
		}
		switch p := r.Float64(); {
		case p < o.HiddenDevices*0.75:
			d.Hidden = ptr(true)
		case p < o.HiddenDevices:
			d.Hidden = nil // hidden IS NULL: left out of the listing as well
		default:
			d.Hidden = ptr(false)
		}
		rows.Devices = append(rows.Devices, d)

		devID := id
		switch p := r.Float64(); {
		case ordinary && p < o.Refreshable:
			g.refreshPair(r, rows, name, local, devID, newID, ms(createdMS), o.RefreshChains)
		case p < 0.95 || !ordinary:
			rows.AccessTokens = append(rows.AccessTokens, AccessTokenRow{
				ID: newID(), UserID: name, DeviceID: &devID, Token: token(r, "syt", local), LastValidated: maybe(r, 0.7, ms(createdMS)),
			})
		}
	}
	if ordinary {
		if r.Float64() < o.DevicelessTokens {
			rows.AccessTokens = append(rows.AccessTokens, AccessTokenRow{
				ID: newID(), UserID: name, Token: token(r, "syt", local), LastValidated: maybe(r, 0.5, ms(createdMS)),
			})
		}
		if r.Float64() < o.PuppetTokens {
			admin := g.userID(0)
			rows.AccessTokens = append(rows.AccessTokens, AccessTokenRow{
				ID: newID(), UserID: name, Token: token(r, "syt", local), PuppetsUserID: &admin, ValidUntilMS: ptr(int64(nowMS + 3600000)),
			})
		}
		if r.Float64() < o.OrphanTokens {
			gone := "GONE" + deviceID(r)[:6]
			rows.AccessTokens = append(rows.AccessTokens, AccessTokenRow{
				ID: newID(), UserID: name, DeviceID: &gone, Token: token(r, "syt", local),
			})
		}
	}
	if r.Float64() < o.Bad.OrphanDevices {
		ghost := "@ghost_" + strconv.Itoa(i) + ":" + o.ServerName
		rows.Devices = append(rows.Devices, DeviceRow{UserID: ghost, DeviceID: deviceID(r), Hidden: ptr(false)})
	}
}

// refreshPair adds a refresh token and its access token, and sometimes
// the pair it replaced: kept in Synapse until the new access token is used.
func (g *Generator) refreshPair(r *rand.Rand, rows *Rows, user, local, device string, newID func() int64, validated int64, chains float64) {
	dev := device
	rt := RefreshTokenRow{ID: newID(), UserID: user, DeviceID: dev, Token: token(r, "syr", local)}
	at := AccessTokenRow{
		ID: newID(), UserID: user, DeviceID: &dev, Token: token(r, "syt", local),
		ValidUntilMS: ptr(validated + 300000), LastValidated: ptr(validated), RefreshTokenID: &rt.ID,
	}
	if r.Float64() < chains {
		old := RefreshTokenRow{ID: newID(), UserID: user, DeviceID: dev, Token: token(r, "syr", local), NextTokenID: &rt.ID}
		oldAT := AccessTokenRow{
			ID: newID(), UserID: user, DeviceID: &dev, Token: token(r, "syt", local),
			ValidUntilMS: ptr(validated - 60000), LastValidated: ptr(validated - 360000), RefreshTokenID: &old.ID, Used: ptr(true),
		}
		// Two thirds: the client used the new pair, the old one is done.
		at.Used = ptr(r.Float64() < 2.0/3)
		rows.RefreshTokens = append(rows.RefreshTokens, old)
		rows.AccessTokens = append(rows.AccessTokens, oldAT)
	}
	rows.RefreshTokens = append(rows.RefreshTokens, rt)
	rows.AccessTokens = append(rows.AccessTokens, at)
}

func hasDevice(devices []DeviceRow, id string) bool {
	for _, d := range devices {
		if d.DeviceID == id {
			return true
		}
	}
	return false
}

// pick draws an index with the given weights.
func pick(r *rand.Rand, weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	if total <= 0 {
		return 0
	}
	p := r.Float64() * total
	for k, w := range weights {
		if p < w {
			return k
		}
		p -= w
	}
	return len(weights) - 1
}

func ptr[T any](v T) *T { return &v }

func maybe(r *rand.Rand, p float64, v int64) *int64 {
	if r.Float64() < p {
		return &v
	}
	return nil
}
