package synapsegen

import "strings"

// add counts one user's rows, and what synapsedb's listings return of
// them, evaluating the listings' conditions on the rows (every row a
// listing joins belongs to the same user).
func (s *Summary) add(rows *Rows) {
	u := rows.User
	s.Users++
	switch {
	case u.AppserviceID != nil:
		s.Appservice++
	case u.IsGuest:
		s.Guests++
	case u.Deactivated:
		s.Deactivated++
	}
	if u.Locked {
		s.Locked++
	}
	if u.Admin {
		s.Admins++
	}
	if u.PasswordHash != nil {
		s.WithPassword++
	}
	if strings.HasSuffix(u.Name, ":other.example") {
		s.ForeignUsers++
	}
	for _, t := range rows.Threepids {
		if t.Medium == "email" {
			s.Emails++
			if t.Address != strings.ToLower(t.Address) {
				s.CaseDuplicateEmails++
			}
		} else {
			s.Phones++
		}
	}
	if s.ExternalIDs == nil {
		s.ExternalIDs = map[string]int64{}
	}
	for _, e := range rows.ExternalIDs {
		s.ExternalIDs[e.AuthProvider]++
	}
	for _, d := range rows.Devices {
		s.DeviceRows++
		if d.UserID != u.Name {
			s.OrphanDevices++
		}
		if d.Hidden != nil && !*d.Hidden && d.DeviceID != "guest_device" {
			s.Devices++
		}
		if d.IP != nil {
			switch *d.IP {
			case "-":
				s.DashIPs++
			default:
				for _, bad := range badIPs {
					if *d.IP == bad {
						s.BadIPs++
					}
				}
			}
		}
	}
	known := func(user string, device *string) bool {
		for _, d := range rows.Devices {
			if device != nil && d.UserID == user && d.DeviceID == *device {
				return true // the join is on every device, hidden ones too
			}
		}
		return false
	}
	s.AccessTokenRows += int64(len(rows.AccessTokens))
	for _, t := range rows.AccessTokens {
		if t.PuppetsUserID == nil && t.RefreshTokenID == nil && (t.DeviceID == nil || known(t.UserID, t.DeviceID)) {
			s.Unrefreshable++
		}
	}
	s.RefreshTokenRows += int64(len(rows.RefreshTokens))
	for _, rt := range rows.RefreshTokens {
		if !known(rt.UserID, &rt.DeviceID) {
			continue
		}
		for _, at := range rows.AccessTokens {
			if at.RefreshTokenID == nil || *at.RefreshTokenID != rt.ID || at.UserID != rt.UserID || at.DeviceID == nil || *at.DeviceID != rt.DeviceID {
				continue
			}
			replaced := false
			for _, next := range rows.AccessTokens {
				if rt.NextTokenID != nil && next.RefreshTokenID != nil && *next.RefreshTokenID == *rt.NextTokenID && next.Used != nil && *next.Used {
					replaced = true
				}
			}
			if replaced {
				s.ReplacedPairs++
			} else {
				s.RefreshablePairs++
			}
		}
	}
	s.Rows += 1 + int64(len(rows.Threepids)+len(rows.ExternalIDs)+len(rows.Devices)+len(rows.AccessTokens)+len(rows.RefreshTokens))
}

// merge adds another worker's counts.
func (s *Summary) merge(o *Summary) {
	s.Users += o.Users
	s.Appservice += o.Appservice
	s.Guests += o.Guests
	s.Deactivated += o.Deactivated
	s.Locked += o.Locked
	s.Admins += o.Admins
	s.WithPassword += o.WithPassword
	s.ForeignUsers += o.ForeignUsers
	s.Emails += o.Emails
	s.Phones += o.Phones
	s.CaseDuplicateEmails += o.CaseDuplicateEmails
	if s.ExternalIDs == nil {
		s.ExternalIDs = map[string]int64{}
	}
	for p, n := range o.ExternalIDs {
		s.ExternalIDs[p] += n
	}
	s.DeviceRows += o.DeviceRows
	s.Devices += o.Devices
	s.OrphanDevices += o.OrphanDevices
	s.DashIPs += o.DashIPs
	s.BadIPs += o.BadIPs
	s.AccessTokenRows += o.AccessTokenRows
	s.RefreshTokenRows += o.RefreshTokenRows
	s.Unrefreshable += o.Unrefreshable
	s.RefreshablePairs += o.RefreshablePairs
	s.ReplacedPairs += o.ReplacedPairs
	s.Rows += o.Rows
}

// Count plans every user without writing anything and returns the
// Summary Generate would.
func (g *Generator) Count() *Summary {
	var st state
	var rows Rows
	s := &Summary{ExternalIDs: map[string]int64{}}
	for i := range g.opts.Users {
		g.fill(&st, i, &rows)
		s.add(&rows)
	}
	return s
}
