package adminapi

import (
	"encoding"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"mas/internal/domain"
	"mas/internal/routes"
)

// The OpenAPI document (/api/spec.json) is generated from the endpoint
// table: paths and parameters from the routes and filters, schemas by
// reflection over the request and attribute structs, so that it cannot
// drift from what the handlers decode and encode.

// specURLs are the absolute URLs the document names.
type specURLs struct {
	Server, Token, Authorize string
}

// obj is a JSON object of the document.
type obj = map[string]any

// ref points at a component schema.
func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

// errorStatuses every endpoint may answer, besides its own Errors.
var authErrors = []int{http.StatusUnauthorized, http.StatusForbidden}

// openAPI builds the document for the endpoints.
func openAPI(eps []endpoint, u specURLs) obj {
	s := &specBuilder{schemas: baseSchemas()}
	paths := obj{}
	var tags []string
	for _, e := range eps {
		p, _ := paths[e.Path].(obj)
		if p == nil {
			p = obj{}
			paths[e.Path] = p
		}
		p[strings.ToLower(e.Method)] = s.operation(e)
		if !slices.Contains(tags, e.Tag) {
			tags = append(tags, e.Tag)
		}
	}
	var tagList []obj
	for _, t := range tags {
		tagList = append(tagList, obj{"name": t})
	}
	scopes := obj{AdminScope: "Use the Admin API"}
	return obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":       "Matrix Authentication Service Admin API",
			"version":     "v1",
			"description": "Administration of the users, sessions and clients of this authentication service.",
		},
		"servers": []obj{{"url": u.Server}},
		"paths":   paths,
		"components": obj{
			"schemas": s.schemas,
			"securitySchemes": obj{
				"oauth2": obj{"type": "oauth2", "flows": obj{
					"clientCredentials": obj{"tokenUrl": u.Token, "refreshUrl": u.Token, "scopes": scopes},
					"authorizationCode": obj{"authorizationUrl": u.Authorize, "tokenUrl": u.Token, "refreshUrl": u.Token, "scopes": scopes},
				}},
				"token": obj{"type": "http", "scheme": "bearer", "description": "An access token holding " + AdminScope},
			},
		},
		"security": []obj{{"oauth2": []string{AdminScope}}, {"token": []string{}}},
		"tags":     tagList,
	}
}

// baseSchemas are the envelopes every operation shares.
func baseSchemas() obj {
	str := obj{"type": "string"}
	return obj{
		"ULID":      obj{"type": "string", "pattern": "^[0-7][0-9A-HJKMNP-TV-Z]{25}$", "description": "A ULID, in Crockford's base 32"},
		"SelfLinks": obj{"type": "object", "properties": obj{"self": str}, "required": []string{"self"}},
		"PaginationLinks": obj{"type": "object", "properties": obj{
			"self": str, "first": str, "last": str, "next": str, "prev": str,
		}, "required": []string{"self", "first", "last"}},
		"PaginationMeta": obj{"type": "object", "properties": obj{"count": obj{"type": "integer", "minimum": 0}},
			"required": []string{"count"}},
		"SingleResourceMeta": obj{"type": "object", "properties": obj{"page": obj{
			"type": "object", "properties": obj{"cursor": str}, "required": []string{"cursor"},
		}}, "required": []string{"page"}},
		"ErrorResponse": obj{"type": "object", "properties": obj{"errors": obj{"type": "array", "items": obj{
			"type": "object", "properties": obj{"title": str}, "required": []string{"title"},
		}}}, "required": []string{"errors"}},
		"IncludeCount": obj{"type": "string", "enum": []string{countTrue, countFalse, countOnly}},
	}
}

type specBuilder struct{ schemas obj }

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

func (s *specBuilder) operation(e endpoint) obj {
	op := obj{"operationId": e.OperationID, "tags": []string{e.Tag}, "summary": e.Summary}
	var params []obj
	for _, m := range pathParam.FindAllStringSubmatch(e.Path, -1) {
		schema := obj{"type": "string"}
		if m[1] == routes.ParamID {
			schema = ref("ULID")
		}
		params = append(params, obj{"in": "path", "name": m[1], "required": true, "schema": schema})
	}
	if e.Paginated {
		size := obj{"type": "integer", "minimum": 1}
		params = append(params,
			obj{"in": "query", "name": "page[before]", "description": "Only the items before this cursor", "schema": ref("ULID")},
			obj{"in": "query", "name": "page[after]", "description": "Only the items after this cursor", "schema": ref("ULID")},
			obj{"in": "query", "name": "page[first]", "description": "The first N items", "schema": size},
			obj{"in": "query", "name": "page[last]", "description": "The last N items", "schema": size},
			obj{"in": "query", "name": "count", "description": "Whether to count the items (true by default), or only count them", "schema": ref("IncludeCount")},
		)
	}
	for _, f := range e.Filters {
		params = append(params, obj{"in": "query", "name": "filter[" + f + "]", "schema": obj{"type": "string"}})
	}
	if params != nil {
		op["parameters"] = params
	}
	if e.Request != nil {
		name := exported(e.OperationID) + "Request"
		s.schemas[name] = s.schema(reflect.TypeOf(e.Request))
		op["requestBody"] = obj{"required": true, "content": obj{"application/json": obj{"schema": ref(name)}}}
	}
	responses := obj{}
	responses[strconv.Itoa(e.Status)] = s.success(e)
	for _, code := range slices.Concat(e.Errors, authErrors) {
		responses[strconv.Itoa(code)] = obj{
			"description": http.StatusText(code),
			"content":     obj{"application/json": obj{"schema": ref("ErrorResponse")}},
		}
	}
	op["responses"] = responses
	return op
}

// success describes the success response: no body, a bare object
// (without ResourceType), or a single or paginated envelope.
func (s *specBuilder) success(e endpoint) obj {
	res := obj{"description": http.StatusText(e.Status)}
	if e.Attributes == nil {
		return res
	}
	var body obj
	if e.ResourceType == "" {
		body = s.schema(reflect.TypeOf(e.Attributes))
	} else {
		body = ref(s.envelopes(e.ResourceType, reflect.TypeOf(e.Attributes), e.Paginated))
	}
	res["content"] = obj{"application/json": obj{"schema": body}}
	return res
}

// envelopes registers the resource's schemas and returns the name of the
// response's.
func (s *specBuilder) envelopes(resourceType string, attrs reflect.Type, paginated bool) string {
	name := exported(resourceType)
	resName := "SingleResource_for_" + name
	if _, ok := s.schemas[name]; !ok {
		s.schemas[name] = s.schema(attrs)
		s.schemas[resName] = obj{"type": "object", "properties": obj{
			"type":       obj{"type": "string", "const": resourceType},
			"id":         ref("ULID"),
			"attributes": ref(name),
			"links":      ref("SelfLinks"),
			"meta":       ref("SingleResourceMeta"),
		}, "required": []string{"type", "id", "attributes", "links"}}
		s.schemas["SingleResponse_for_"+name] = obj{"type": "object", "properties": obj{
			"data": ref(resName), "links": ref("SelfLinks"),
		}, "required": []string{"data", "links"}}
	}
	if !paginated {
		return "SingleResponse_for_" + name
	}
	s.schemas["PaginatedResponse_for_"+name] = obj{"type": "object", "properties": obj{
		"meta":  ref("PaginationMeta"),
		"data":  obj{"type": "array", "items": ref(resName)},
		"links": ref("PaginationLinks"),
	}, "required": []string{"links"}}
	return "PaginatedResponse_for_" + name
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	idType        = reflect.TypeFor[domain.ID]()
	rawType       = reflect.TypeFor[json.RawMessage]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
)

// schema is the JSON Schema of values of t as encoding/json writes them.
func (s *specBuilder) schema(t reflect.Type) obj {
	if t.Kind() == reflect.Pointer {
		return nullable(s.schema(t.Elem()))
	}
	switch {
	case t == timeType:
		return obj{"type": "string", "format": "date-time"}
	case t == idType:
		return ref("ULID")
	case t == rawType || t.Kind() == reflect.Interface:
		return obj{}
	case t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(textMarshaler):
		return obj{"type": "string"}
	case t.Implements(jsonMarshaler):
		return obj{}
	}
	switch t.Kind() {
	case reflect.String:
		return obj{"type": "string"}
	case reflect.Bool:
		return obj{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return obj{"type": "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return obj{"type": "integer", "minimum": 0}
	case reflect.Float32, reflect.Float64:
		return obj{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			return obj{"type": "string", "contentEncoding": "base64"}
		}
		return obj{"type": "array", "items": s.schema(t.Elem())}
	case reflect.Map:
		return obj{"type": "object", "additionalProperties": s.schema(t.Elem())}
	case reflect.Struct:
		return s.object(t)
	}
	return obj{}
}

// object describes a struct: its JSON fields, the required ones being
// those always written with a value (neither pointers nor omitempty).
func (s *specBuilder) object(t reflect.Type) obj {
	props := obj{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for f := range t.Fields() {
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" && opts == "" || !f.IsExported() && !f.Anonymous {
				continue
			}
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if name == "" {
				name = f.Name
			}
			props[name] = s.schema(f.Type)
			if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") && f.Type.Kind() != reflect.Pointer {
				required = append(required, name)
			}
		}
	}
	walk(t)
	o := obj{"type": "object", "properties": props}
	if required != nil {
		o["required"] = required
	}
	return o
}

// nullable lets a schema also be null: a scalar's type becomes a list,
// anything else an alternative.
func nullable(o obj) obj {
	_, format := o["format"]
	if t, ok := o["type"].(string); ok && (len(o) == 1 || len(o) == 2 && format) {
		n := obj{}
		for k, v := range o {
			n[k] = v
		}
		n["type"] = []string{t, "null"}
		return n
	}
	return obj{"anyOf": []obj{o, {"type": "null"}}}
}

// exported turns "upstream-oauth-link" or "addUser" into "UpstreamOauthLink"
// or "AddUser".
func exported(s string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// serveSpec answers the OpenAPI document.
func (h *Handler) serveSpec(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, openAPI(h.endpoints(), h.specURLs()))
}

// specURLs are the public base and our OAuth 2.0 endpoints.
func (h *Handler) specURLs() specURLs {
	if h.URLs == nil {
		return specURLs{Server: "/", Token: routes.OAuth2Token, Authorize: routes.Authorize}
	}
	return specURLs{
		Server:    strings.TrimSuffix(h.URLs.Absolute("/"), "/"),
		Token:     h.URLs.Absolute(routes.OAuth2Token),
		Authorize: h.URLs.Absolute(routes.Authorize),
	}
}
