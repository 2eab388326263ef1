package session

import (
	"net/http"
	"slices"
	"time"

	"mas/internal/domain"
)

// maxFlowIDs bounds how many flows one flow cookie remembers; the oldest
// are forgotten first, so the cookie cannot grow without bound.
const maxFlowIDs = 8

// FlowCookie is a sealed cookie listing the IDs of the multi-page flows
// (password recoveries, say) this browser started, so that a flow's pages
// answer only that browser: the flow's URL alone, seen in an access log or
// over a shoulder, is not enough, and the cookie cannot be forged without
// the encryption key.
type FlowCookie struct {
	m      *Manager
	name   string
	maxAge time.Duration
}

// FlowCookie returns the flow cookie called name, kept by the browser for
// maxAge after the last flow it recorded.
func (m *Manager) FlowCookie(name string, maxAge time.Duration) FlowCookie {
	return FlowCookie{m: m, name: name, maxAge: maxAge}
}

// flowCookie is the JSON payload of a flow cookie.
type flowCookie struct {
	IDs []domain.ID `json:"ids"`
}

// Add records that this browser started the flow id.
func (c FlowCookie) Add(w http.ResponseWriter, r *http.Request, id domain.ID) error {
	var v flowCookie
	c.m.load(r, c.name, &v) // a missing or unreadable cookie starts empty
	v.IDs = append(slices.DeleteFunc(v.IDs, func(x domain.ID) bool { return x == id }), id)
	if n := len(v.IDs); n > maxFlowIDs {
		v.IDs = v.IDs[n-maxFlowIDs:]
	}
	return c.m.save(w, c.name, v, c.maxAge)
}

// Has reports whether this browser started the flow id.
func (c FlowCookie) Has(r *http.Request, id domain.ID) bool {
	var v flowCookie
	return c.m.load(r, c.name, &v) && slices.Contains(v.IDs, id)
}

// IDs returns the flows this browser started, the most recent last.
func (c FlowCookie) IDs(r *http.Request) []domain.ID {
	var v flowCookie
	c.m.load(r, c.name, &v)
	return v.IDs
}

// Clear forgets every flow of this browser (at sign-out: an unfinished
// flow must not be picked up by the next person at a shared browser).
func (c FlowCookie) Clear(w http.ResponseWriter) {
	c.m.clear(w, c.name)
}
