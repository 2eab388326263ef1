package session

import (
	"encoding/json"
	"net/url"
)

// JSON encodes the action for storage (a registration's post_auth_action
// column) as upstream does: the query parameters as one flat object,
// {"kind":"continue_authorization_grant","id":"01…"}. A nil action
// encodes as "".
func (a *PostAuthAction) JSON() string {
	if a == nil {
		return ""
	}
	flat := map[string]string{}
	for k, v := range a.Query() {
		if len(v) > 0 {
			flat[k] = v[0]
		}
	}
	b, err := json.Marshal(flat)
	if err != nil {
		return "" // a map of strings always encodes
	}
	return string(b)
}

// ParsePostAuthActionJSON reads what JSON wrote, with the same strictness
// as ParsePostAuthAction: nil for "" or anything malformed.
func ParsePostAuthActionJSON(s string) *PostAuthAction {
	if s == "" {
		return nil
	}
	var flat map[string]any
	if err := json.Unmarshal([]byte(s), &flat); err != nil {
		return nil
	}
	q := url.Values{}
	for k, v := range flat {
		if str, ok := v.(string); ok {
			q.Set(k, str)
		}
	}
	return ParsePostAuthAction(q)
}
