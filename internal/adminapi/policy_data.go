package adminapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"mas/internal/domain"
	"mas/internal/policy"
	"mas/internal/routes"
)

// policyDataAttributes is upstream's PolicyData.
type policyDataAttributes struct {
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

func policyDataResource(p *domain.PolicyData) resource {
	return resource{
		Type:       "policy-data",
		ID:         p.ID.String(),
		Attributes: policyDataAttributes{CreatedAt: p.CreatedAt, Data: json.RawMessage(p.Data)},
		Links:      selfLinks{Self: routes.AdminResource(routes.AdminPolicyData, p.ID.String())},
	}
}

// setPolicyDataRequest is upstream's SetPolicyDataRequest.
type setPolicyDataRequest struct {
	Data json.RawMessage `json:"data"`
}

// titleInvalidPolicyData is upstream's 400 title; the reason follows it
// as a second error, as upstream lists an error's causes.
const titleInvalidPolicyData = "Failed to instanciate policy with the provided data"

// policyDataEndpoints lists the operations on policy data.
func (h *Handler) policyDataEndpoints() []endpoint {
	const tag, typ = "policy-data", "policy-data"
	return []endpoint{
		{Method: "POST", Path: routes.AdminPolicyData, OperationID: "setPolicyData", Tag: tag,
			Summary: "Store new dynamic policy data and put it in effect", Request: setPolicyDataRequest{},
			ResourceType: typ, Attributes: policyDataAttributes{}, Status: http.StatusCreated,
			Errors: []int{http.StatusBadRequest}, Handle: h.setPolicyData},
		{Method: "GET", Path: routes.AdminPolicyDataLatest, OperationID: "getLatestPolicyData", Tag: tag,
			Summary: "Get the dynamic policy data in effect", ResourceType: typ, Attributes: policyDataAttributes{},
			Status: http.StatusOK, Errors: []int{http.StatusNotFound}, Handle: h.getLatestPolicyData},
		{Method: "GET", Path: routes.AdminPolicyDataPattern, OperationID: "getPolicyData", Tag: tag,
			Summary: "Get a version of the dynamic policy data", ResourceType: typ, Attributes: policyDataAttributes{},
			Status: http.StatusOK, Errors: []int{http.StatusBadRequest, http.StatusNotFound}, Handle: h.getPolicyData},
	}
}

// setPolicyData checks the data by building the policy with it, stores it,
// and swaps it into this process's policy; other replicas pick it up on
// their next refresh.
func (h *Handler) setPolicyData(w http.ResponseWriter, r *http.Request) {
	var req setPolicyDataRequest
	if !readJSON(w, r, &req) {
		return
	}
	if req.Data == nil {
		writeError(w, http.StatusBadRequest, "Invalid JSON body: missing field `data`")
		return
	}
	data, err := reencode(req.Data)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Invalid JSON body: "+err.Error())
		return
	}
	req.Data = data
	engine := h.Policy
	if engine == nil {
		engine = &policy.Engine{}
	}
	if _, err := engine.WithData(req.Data); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{Errors: []errorItem{{Title: titleInvalidPolicyData}, {Title: err.Error()}}})
		return
	}
	p, err := h.Store.PolicyData().Add(r.Context(), string(req.Data))
	if err != nil {
		internalError(w, r, err)
		return
	}
	if _, err := engine.SetData(p.ID.String(), req.Data); err != nil { // checked above; only a bug gets here
		slog.ErrorContext(r.Context(), "stored policy data could not be applied", "id", p.ID, "error", err)
	}
	writeSingle(w, http.StatusCreated, policyDataResource(p))
}

func (h *Handler) getLatestPolicyData(w http.ResponseWriter, r *http.Request) {
	p, err := h.Store.PolicyData().Latest(r.Context())
	if found(w, r, err, "No policy data found") {
		writeSingle(w, http.StatusOK, policyDataResource(p))
	}
}

func (h *Handler) getPolicyData(w http.ResponseWriter, r *http.Request) {
	serveOne(w, r, h.Store.PolicyData().Lookup, func(id domain.ID) string { return "Policy data with ID " + id.String() + " not found" }, policyDataResource)
}

// reencode writes raw JSON afresh, as PostgreSQL's jsonb would: lone
// UTF-16 surrogate escapes, which jsonb rejects, become U+FFFD; numbers
// keep their digits.
func reencode(raw json.RawMessage) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}
