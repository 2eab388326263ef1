package templates

// PageAPIDoc is the Admin API's documentation page (/api/doc/).
const PageAPIDoc = "pages/apidoc.html"

// apidocPages are the Admin API's pages.
var apidocPages = []pageSpec{
	page[APIDocPage](PageAPIDoc),
}

// APIDocPage documents the Admin API for operators, from the same table
// as its OpenAPI document: the operations grouped by tag.
type APIDocPage struct {
	Common
	// SpecURL is the OpenAPI document; Server the base its paths are below.
	SpecURL string
	Server  string
	Groups  []APIDocGroup
}

// APIDocGroup is the operations of one tag.
type APIDocGroup struct {
	Tag        string
	Operations []APIDocOperation
}

// APIDocOperation is one operation.
type APIDocOperation struct {
	// ID is the operationId, also the operation's anchor on the page.
	ID, Method, Path, Summary string
	Parameters                []APIDocField
	// Request lists the JSON body's fields (none: no body).
	Request []APIDocField
	// ResourceType is the type of the resources answered ("" when the
	// body is not an envelope); Response lists their attributes.
	ResourceType string
	Paginated    bool
	Response     []APIDocField
	Status       int
	Errors       []int
}

// APIDocField is a parameter or a field of a JSON object.
type APIDocField struct {
	// In is where a parameter goes (path, query); "" for a body field.
	Name, In, Type string
	Required       bool
	Nullable       bool
}

// Sample returns representative values for Check.
func (APIDocPage) Sample() []APIDocPage {
	id := APIDocField{Name: "id", In: "path", Type: "ULID", Required: true}
	return []APIDocPage{
		{
			Common: sampleCommon(), SpecURL: "/api/spec.json", Server: "https://auth.example.com",
			Groups: []APIDocGroup{{Tag: "upstream-oauth-link", Operations: []APIDocOperation{
				{
					ID: "listUpstreamOAuthLinks", Method: "GET", Path: "/api/admin/v1/upstream-oauth-links",
					Summary: "List links", Paginated: true, ResourceType: "upstream-oauth-link", Status: 200,
					Parameters: []APIDocField{{Name: "page[first]", In: "query", Type: "integer"}, {Name: "filter[user]", In: "query", Type: "string"}},
					Response: []APIDocField{
						{Name: "created_at", Type: "date-time", Required: true},
						{Name: "user_id", Type: "ULID", Nullable: true},
					},
					Errors: []int{400, 401, 403, 404},
				},
				{
					ID: "addUpstreamOAuthLink", Method: "POST", Path: "/api/admin/v1/upstream-oauth-links",
					Summary: "Add a link <b>", Status: 201, ResourceType: "upstream-oauth-link",
					Request: []APIDocField{{Name: "subject", Type: "string", Required: true}},
					Errors:  []int{400, 401, 403, 404, 409},
				},
				{
					ID: "deleteUpstreamOAuthLink", Method: "DELETE", Path: "/api/admin/v1/upstream-oauth-links/{id}",
					Summary: "Remove a link", Status: 204, Parameters: []APIDocField{id},
				},
			}}},
		},
		{Common: Common{}, SpecURL: "/api/spec.json", Server: "/"},
	}
}
