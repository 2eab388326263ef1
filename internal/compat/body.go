package compat

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"mas/internal/domain"
)

// maxBodyBytes bounds request bodies, as the default body limit of
// upstream's HTTP framework does (2 MiB); a login is a few hundred bytes.
const maxBodyBytes = 2 << 20

// Errors of reading a JSON request body. serde (upstream) tells syntax
// errors (M_NOT_JSON) from documents of the wrong shape (M_BAD_JSON);
// jsonObject keeps that distinction.
var (
	errContentType = newMatrixError(http.StatusBadRequest, errcodeNotJSON,
		"Invalid Content-Type header: expected application/json")
	errBodyTooLarge = newMatrixError(http.StatusRequestEntityTooLarge, errcodeTooLarge, "Request body too large")
	errBodyRead     = newMatrixError(http.StatusBadRequest, errcodeUnknown, "Failed to read request body")
	errNotJSON      = newMatrixError(http.StatusBadRequest, errcodeNotJSON, "Body is not a valid JSON document")
	errBadJSON      = newMatrixError(http.StatusBadRequest, errcodeBadJSON, "JSON fields are not valid")
)

// jsonObject is a request body's top-level object, its members still
// undecoded so that each can be checked the way a typed decoder would.
type jsonObject map[string]json.RawMessage

// readJSONObject reads the request body as a JSON object. The Matrix spec
// makes the Content-Type header optional, so it is only checked when
// present. With optional set, a body-less request without a Content-Type
// yields a nil object rather than an error (POST /logout/all from clients
// that send nothing).
func readJSONObject(w http.ResponseWriter, r *http.Request, optional bool) (jsonObject, *matrixError) {
	hasContentType := r.Header.Get("Content-Type") != ""
	if hasContentType && !isJSONContentType(r.Header.Get("Content-Type")) {
		return nil, errContentType
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errBodyTooLarge
		}
		return nil, errBodyRead
	}
	if optional && !hasContentType && len(body) == 0 {
		return nil, nil
	}
	// A JSON text is UTF-8 (RFC 8259 §8.1); encoding/json would turn
	// invalid bytes into U+FFFD and store what the client never sent.
	if !json.Valid(body) || !utf8.Valid(body) {
		return nil, errNotJSON
	}
	// A valid document of another shape (an array, null, a string) is a
	// data error, not a syntax error.
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, errBadJSON
	}
	var obj jsonObject
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, errBadJSON
	}
	return obj, nil
}

// isJSONContentType accepts application/json and application/*+json, with
// any parameters.
func isJSONContentType(v string) bool {
	mt, _, err := mime.ParseMediaType(v)
	if err != nil {
		return false
	}
	sub, ok := strings.CutPrefix(mt, "application/")
	return ok && (sub == "json" || strings.HasSuffix(sub, "+json"))
}

// has reports whether the member is present and not null: optional members
// treat null as absent.
func (o jsonObject) has(key string) bool {
	raw, ok := o[key]
	return ok && !isNull(raw)
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// str decodes a required string member. A string with a NUL ("\u0000"
// in the JSON) is refused: no text the API takes has one, and PostgreSQL
// cannot store it.
func (o jsonObject) str(key string) (string, *matrixError) {
	raw, ok := o[key]
	if !ok {
		return "", errBadJSON
	}
	var s string
	if isNull(raw) || json.Unmarshal(raw, &s) != nil {
		return "", errBadJSON
	}
	if !domain.IsText(s) {
		return "", invalidParam(key + " must not contain NUL characters")
	}
	return s, nil
}

// optStr decodes an optional string member; absent and null give "" and
// false.
func (o jsonObject) optStr(key string) (string, bool, *matrixError) {
	if !o.has(key) {
		return "", false, nil
	}
	s, e := o.str(key)
	return s, e == nil, e
}

// flag decodes a boolean member that defaults to false. null is not false:
// a typed decoder refuses it.
func (o jsonObject) flag(key string) (bool, *matrixError) {
	raw, ok := o[key]
	if !ok {
		return false, nil
	}
	var b bool
	if isNull(raw) || json.Unmarshal(raw, &b) != nil {
		return false, errBadJSON
	}
	return b, nil
}

// object decodes an optional object member; absent and null give nil.
func (o jsonObject) object(key string) (jsonObject, *matrixError) {
	if !o.has(key) {
		return nil, nil
	}
	raw := bytes.TrimSpace(o[key])
	if len(raw) == 0 || raw[0] != '{' {
		return nil, errBadJSON
	}
	var obj jsonObject
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, errBadJSON
	}
	return obj, nil
}
