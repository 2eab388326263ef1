package adminapi

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"mas/internal/domain"
)

type specNested struct {
	Label string `json:"label"`
}

type specEmbedded struct {
	Embedded string `json:"embedded"`
}

type specSample struct {
	specEmbedded
	ID       domain.ID            `json:"id"`
	Owner    *domain.ID           `json:"owner"`
	When     time.Time            `json:"when"`
	Until    *time.Time           `json:"until"`
	Count    int                  `json:"count"`
	Note     string               `json:"note,omitempty"`
	Tags     []string             `json:"tags"`
	Extra    map[string]int       `json:"extra"`
	Nested   specNested           `json:"nested"`
	Children []specNested         `json:"children"`
	Raw      json.RawMessage      `json:"raw"`
	Any      any                  `json:"any"`
	Skipped  string               `json:"-"`
	hidden   string               //nolint:unused // must not appear
	ByName   map[string]*specNest `json:"by_name"`
}

type specNest = specNested

// TestSchemaReflection checks the schema of each kind of field.
func TestSchemaReflection(t *testing.T) {
	s := &specBuilder{schemas: baseSchemas()}
	o := s.schema(reflect.TypeFor[specSample]())
	props := o["properties"].(obj)
	want := map[string]string{
		"embedded": `{"type":"string"}`,
		"id":       `{"$ref":"#/components/schemas/ULID"}`,
		"owner":    `{"anyOf":[{"$ref":"#/components/schemas/ULID"},{"type":"null"}]}`,
		"when":     `{"format":"date-time","type":"string"}`,
		"until":    `{"format":"date-time","type":["string","null"]}`,
		"count":    `{"type":"integer"}`,
		"note":     `{"type":"string"}`,
		"tags":     `{"items":{"type":"string"},"type":"array"}`,
		"extra":    `{"additionalProperties":{"type":"integer"},"type":"object"}`,
		"nested":   `{"properties":{"label":{"type":"string"}},"required":["label"],"type":"object"}`,
		"children": `{"items":{"properties":{"label":{"type":"string"}},"required":["label"],"type":"object"},"type":"array"}`,
		"raw":      `{}`,
		"any":      `{}`,
		"by_name":  `{"additionalProperties":{"anyOf":[{"properties":{"label":{"type":"string"}},"required":["label"],"type":"object"},{"type":"null"}]},"type":"object"}`,
	}
	if len(props) != len(want) {
		t.Errorf("properties %v, want %d", props, len(want))
	}
	for name, w := range want {
		got, _ := json.Marshal(props[name])
		if string(got) != w {
			t.Errorf("%s: %s, want %s", name, got, w)
		}
	}
	req, _ := json.Marshal(o["required"])
	if string(req) != `["embedded","id","when","count","tags","extra","nested","children","raw","any","by_name"]` {
		t.Errorf("required %s", req)
	}
}

// TestSpecOfAnyEntry generates the document for synthetic entries of each
// shape and checks its structure.
func TestSpecOfAnyEntry(t *testing.T) {
	eps := []endpoint{
		{Method: "GET", Path: "/api/admin/v1/things", OperationID: "listThings", Tag: "thing", Summary: "List",
			Filters: []string{"owner"}, Paginated: true, ResourceType: "thing", Attributes: specSample{}, Status: 200,
			Errors: []int{400}},
		{Method: "POST", Path: "/api/admin/v1/things/{id}/poke", OperationID: "pokeThing", Tag: "thing", Summary: "Poke",
			Request: specNested{}, ResourceType: "thing", Attributes: specSample{}, Status: 201, Errors: []int{404, 409}},
		{Method: "DELETE", Path: "/api/admin/v1/things/{id}", OperationID: "deleteThing", Tag: "thing", Summary: "Delete",
			Status: 204, Errors: []int{404}},
		{Method: "GET", Path: "/api/admin/v1/by-name/{username}", OperationID: "rawThing", Tag: "other", Summary: "Raw",
			Attributes: specNested{}, Status: 200},
	}
	doc := roundTrip(t, openAPI(eps, specURLs{Server: "https://x.example", Token: "https://x.example/oauth2/token", Authorize: "https://x.example/authorize"}))
	checkSpecStructure(t, doc)
	paths := doc["paths"].(map[string]any)
	list := paths["/api/admin/v1/things"].(map[string]any)["get"].(map[string]any)
	var names []string
	for _, p := range list["parameters"].([]any) {
		names = append(names, p.(map[string]any)["name"].(string))
	}
	if got := strings.Join(names, " "); got != "page[before] page[after] page[first] page[last] count filter[owner]" {
		t.Errorf("list parameters %s", got)
	}
	if ref := list["responses"].(map[string]any)["200"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)["$ref"]; ref != "#/components/schemas/PaginatedResponse_for_Thing" {
		t.Errorf("list answers %v", ref)
	}
	del := paths["/api/admin/v1/things/{id}"].(map[string]any)["delete"].(map[string]any)["responses"].(map[string]any)
	if _, ok := del["204"].(map[string]any)["content"]; ok {
		t.Error("204 has a body")
	}
	for _, code := range []string{"401", "403", "404"} {
		if del[code] == nil {
			t.Errorf("delete lacks %s", code)
		}
	}
	if doc["components"].(map[string]any)["schemas"].(map[string]any)["PokeThingRequest"] == nil {
		t.Error("no request schema")
	}
	flows := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)["oauth2"].(map[string]any)["flows"].(map[string]any)
	if flows["authorizationCode"].(map[string]any)["authorizationUrl"] != "https://x.example/authorize" {
		t.Errorf("flows %v", flows)
	}
}

// TestSpecOfTheTable checks the document of the real table.
func TestSpecOfTheTable(t *testing.T) {
	doc := roundTrip(t, openAPI((&Handler{}).endpoints(), specURLs{Server: "/"}))
	checkSpecStructure(t, doc)
	if doc["paths"].(map[string]any)["/api/admin/v1/upstream-oauth-links"] == nil {
		t.Error("upstream links missing")
	}
}

func roundTrip(t *testing.T, doc obj) map[string]any {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

var refPattern = regexp.MustCompile(`"\$ref":"#/components/schemas/([^"]+)"`)

// checkSpecStructure checks the version, that every $ref names a schema
// and that operationIds are unique.
func checkSpecStructure(t *testing.T, doc map[string]any) {
	t.Helper()
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi %q", v)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	raw, _ := json.Marshal(doc)
	for _, m := range refPattern.FindAllStringSubmatch(string(raw), -1) {
		if schemas[m[1]] == nil {
			t.Errorf("$ref to %s does not resolve", m[1])
		}
	}
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`"operationId":"([^"]+)"`).FindAllStringSubmatch(string(raw), -1) {
		if ids[m[1]] {
			t.Errorf("operationId %s twice", m[1])
		}
		ids[m[1]] = true
	}
}
