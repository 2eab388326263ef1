package homeservertest

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// handler answers one method of one route. Handlers return their answer
// instead of writing it so that each rule reads as "condition → reply".
type handler func(r *http.Request, body []byte) reply

// route maps HTTP methods to handlers for one path.
type route map[string]handler

// reply is a JSON answer.
type reply struct {
	status int
	body   any
}

func okReply(body any) reply { return reply{status: http.StatusOK, body: body} }

// empty is Synapse's "{}" success body.
func empty(status int) reply { return reply{status: status, body: struct{}{}} }

// matrixErrorBody is Synapse's standard error shape. SoftLogout is only
// present on invalid-token errors, as in Synapse.
type matrixErrorBody struct {
	ErrCode    string `json:"errcode"`
	Error      string `json:"error"`
	SoftLogout *bool  `json:"soft_logout,omitempty"`
}

func matrixError(status int, errcode, message string) reply {
	return reply{status: status, body: matrixErrorBody{ErrCode: errcode, Error: message}}
}

// unknownToken is Synapse's InvalidClientTokenError: 401 with soft_logout.
func unknownToken(message string) reply {
	soft := false
	return reply{status: http.StatusUnauthorized, body: matrixErrorBody{
		ErrCode: "M_UNKNOWN_TOKEN", Error: message, SoftLogout: &soft,
	}}
}

func unrecognized(status int) reply {
	return matrixError(status, "M_UNRECOGNIZED", "Unrecognized request")
}

// noSuchResource is Twisted's 404 page, which Synapse serves for unknown
// paths below resources that are not Matrix servlets.
func noSuchResource(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte("\n<html>\n  <head><title>404 - No Such Resource</title></head>\n  <body>\n" +
		"    <h1>No Such Resource</h1>\n    <p>Sorry. No luck finding that resource.</p>\n  </body>\n</html>\n"))
}

func userNotFound() reply {
	return matrixError(http.StatusNotFound, "M_NOT_FOUND", "User not found")
}

func writeReply(w http.ResponseWriter, rep reply) {
	if rep.status == http.StatusNoContent {
		// net/http refuses a body on 204; Synapse sends "{}", which no
		// client can rely on anyway.
		w.WriteHeader(rep.status)
		return
	}
	b, err := json.Marshal(rep.body)
	if err != nil {
		rep.status = http.StatusInternalServerError
		b = []byte(`{"errcode":"M_UNKNOWN","error":"Internal server error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	_, _ = w.Write(b)
}

// Response is what a Hook sends instead of the fake's own answer.
type Response struct {
	Status      int
	ContentType string // default "application/json"
	Body        []byte
}

// MatrixErrorResponse builds a Response with a Matrix error body.
func MatrixErrorResponse(status int, errcode, message string) *Response {
	b, _ := json.Marshal(matrixErrorBody{ErrCode: errcode, Error: message})
	return &Response{Status: status, Body: b}
}

func (r *Response) write(w http.ResponseWriter) {
	ct := r.ContentType
	if ct == "" {
		ct = "application/json"
	}
	status := r.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	if status != http.StatusNoContent && status != http.StatusNotModified {
		_, _ = w.Write(r.Body)
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
