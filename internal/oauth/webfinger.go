package oauth

import (
	"net/http"
	"slices"
)

// webFingerIssuerRel is the link relation OpenID Connect Discovery §2 uses
// to find the issuer of an account.
const webFingerIssuerRel = "http://openid.net/specs/connect/1.0/issuer"

type webFingerLink struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

type webFingerResponse struct {
	Subject string          `json:"subject"`
	Links   []webFingerLink `json:"links"`
}

// webfinger answers RFC 7033 queries. Every account is served by the same
// issuer, so the resource is echoed back without being looked up, and the
// issuer link is only added when the issuer relation is asked for.
func (h *Handler) webfinger(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	resource := q.Get("resource")
	if resource == "" {
		writeError(w, newError(ErrInvalidRequest, http.StatusBadRequest, "the resource parameter is required"))
		return
	}
	res := webFingerResponse{Subject: resource, Links: []webFingerLink{}}
	if slices.Contains(q["rel"], webFingerIssuerRel) {
		res.Links = append(res.Links, webFingerLink{Rel: webFingerIssuerRel, Href: h.URLs.Issuer()})
	}
	writePublicJSON(w, "application/jrd+json", discoveryMaxAge, res)
}
