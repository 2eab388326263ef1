package adminapi

import "net/http"

// resource is upstream's SingleResource: a typed object with its
// attributes, a self link and, inside a page, its cursor.
type resource struct {
	Type       string        `json:"type"`
	ID         string        `json:"id"`
	Attributes any           `json:"attributes"`
	Links      selfLinks     `json:"links"`
	Meta       *resourceMeta `json:"meta,omitempty"`
}

type selfLinks struct {
	Self string `json:"self"`
}

type resourceMeta struct {
	Page resourcePage `json:"page"`
}

type resourcePage struct {
	Cursor string `json:"cursor"`
}

// single is upstream's SingleResponse.
type single struct {
	Data  resource  `json:"data"`
	Links selfLinks `json:"links"`
}

// paginated is upstream's PaginatedResponse: meta is absent with
// count=false, data with count=only.
type paginated struct {
	Meta  *paginationMeta `json:"meta,omitempty"`
	Data  any             `json:"data,omitempty"` // []resource; nil omits it
	Links paginationLinks `json:"links"`
}

type paginationMeta struct {
	Count int `json:"count"`
}

type paginationLinks struct {
	Self  string `json:"self"`
	First string `json:"first"`
	Last  string `json:"last"`
	Next  string `json:"next,omitempty"`
	Prev  string `json:"prev,omitempty"`
}

// writeSingle answers with one resource, linking to itself.
func writeSingle(w http.ResponseWriter, status int, res resource) {
	writeJSON(w, status, single{Data: res, Links: res.Links})
}
