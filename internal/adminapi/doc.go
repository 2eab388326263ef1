package adminapi

import (
	"net/http"
	"reflect"
	"slices"
	"strings"

	"mas/internal/routes"
	"mas/internal/templates"
)

// mountDocs serves the OpenAPI document and the page documenting it.
// Both are public, as upstream's: they describe the API, not its data.
func (h *Handler) mountDocs(mux *http.ServeMux) {
	mux.HandleFunc("GET "+routes.AdminAPISpec, h.serveSpec)
	mux.HandleFunc("GET "+routes.AdminAPIDoc+"{$}", h.serveDoc)
}

// serveDoc renders the endpoint table as a page, with the fields the
// OpenAPI document gives each operation.
func (h *Handler) serveDoc(w http.ResponseWriter, r *http.Request) {
	if h.Pages == nil {
		writeError(w, http.StatusNotFound, "Not found")
		return
	}
	u := h.specURLs()
	data := templates.APIDocPage{Common: h.Pages.Common(r, ""), SpecURL: routes.AdminAPISpec, Server: u.Server}
	if h.URLs != nil {
		data.SpecURL = h.URLs.Relative(routes.AdminAPISpec)
	}
	s := &specBuilder{schemas: baseSchemas()}
	for _, e := range h.endpoints() {
		i := slices.IndexFunc(data.Groups, func(g templates.APIDocGroup) bool { return g.Tag == e.Tag })
		if i < 0 {
			data.Groups = append(data.Groups, templates.APIDocGroup{Tag: e.Tag})
			i = len(data.Groups) - 1
		}
		data.Groups[i].Operations = append(data.Groups[i].Operations, docOperation(s, e))
	}
	h.Pages.Render(w, r, http.StatusOK, templates.PageAPIDoc, data)
}

func docOperation(s *specBuilder, e endpoint) templates.APIDocOperation {
	op := templates.APIDocOperation{
		ID: e.OperationID, Method: e.Method, Path: e.Path, Summary: e.Summary,
		ResourceType: e.ResourceType, Paginated: e.Paginated, Status: e.Status,
		Errors: slices.Concat(e.Errors, authErrors),
	}
	slices.Sort(op.Errors)
	params, _ := s.operation(e)["parameters"].([]obj)
	for _, p := range params {
		_, required := p["required"]
		op.Parameters = append(op.Parameters, templates.APIDocField{
			Name: p["name"].(string), In: p["in"].(string), Type: typeName(p["schema"].(obj)), Required: required,
		})
	}
	if e.Request != nil {
		op.Request = docFields(s.schema(reflect.TypeOf(e.Request)))
	}
	if e.Attributes != nil {
		op.Response = docFields(s.schema(reflect.TypeOf(e.Attributes)))
	}
	return op
}

// docFields lists an object schema's properties, sorted by name.
func docFields(o obj) []templates.APIDocField {
	props, _ := o["properties"].(obj)
	required, _ := o["required"].([]string)
	var out []templates.APIDocField
	for name, p := range props {
		t := typeName(p.(obj))
		nullable := strings.HasSuffix(t, "?")
		out = append(out, templates.APIDocField{
			Name: name, Type: strings.TrimSuffix(t, "?"), Required: slices.Contains(required, name), Nullable: nullable,
		})
	}
	slices.SortFunc(out, func(a, b templates.APIDocField) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// typeName is a short name for a schema's type; a trailing "?" marks a
// nullable one.
func typeName(o obj) string {
	if r, ok := o["$ref"].(string); ok {
		return strings.TrimPrefix(r, "#/components/schemas/")
	}
	if alt, ok := o["anyOf"].([]obj); ok && len(alt) == 2 {
		return typeName(alt[0]) + "?"
	}
	t := o["type"]
	if ts, ok := t.([]string); ok {
		return typeName(obj{"type": ts[0], "format": o["format"], "items": o["items"]}) + "?"
	}
	switch t {
	case "array":
		if items, ok := o["items"].(obj); ok {
			return typeName(items) + "[]"
		}
	case "string":
		if f, ok := o["format"].(string); ok {
			return f
		}
	case nil:
		return "any"
	}
	return t.(string)
}
