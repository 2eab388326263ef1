package adminapi

import "net/http"

// endpoint is one operation of the Admin API: its route and handler, and
// what the OpenAPI document (/api/spec.json) says of it. The table of
// endpoints is the one source of both the routes and the document, and a
// test holds the document to what the server answers.
type endpoint struct {
	Method string // GET, POST, PUT, DELETE
	Path   string // a routes.Admin… pattern; {id} and {username} are path parameters

	OperationID string // upstream's operationId
	Tag         string // the OpenAPI tag grouping the operation
	Summary     string

	// Filters are a list's filter names, without "filter[" and "]";
	// Paginated lists take page[…] and count.
	Filters   []string
	Paginated bool

	// Request is the zero value of the JSON body (nil: no body).
	Request any
	// ResourceType and Attributes describe the resource answered (the
	// zero value of the attributes struct); Attributes nil with Status
	// 204 means no body.
	ResourceType string
	Attributes   any
	Status       int // the success status
	// Errors are the documented error statuses besides 401 and 403,
	// which every endpoint may answer.
	Errors []int

	Handle http.HandlerFunc
}

// endpoints lists every operation, area by area (one file per area).
func (h *Handler) endpoints() []endpoint {
	var all []endpoint
	for _, area := range [][]endpoint{
		h.siteEndpoints(),
		h.userEndpoints(),
		h.userEmailEndpoints(),
		h.userSessionEndpoints(),
		h.compatSessionEndpoints(),
		h.oauth2SessionEndpoints(),
		h.oauth2ClientEndpoints(),
		h.personalSessionEndpoints(),
		h.policyDataEndpoints(),
		h.registrationTokenEndpoints(),
		h.upstreamLinkEndpoints(),
		h.upstreamProviderEndpoints(),
	} {
		all = append(all, area...)
	}
	return all
}
