package homeservertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// The MAS endpoints validate bodies with strict pydantic models. This file
// reproduces the parts of that behaviour a client can observe: which
// errcode comes back for which mistake.

type fieldType uint8

const (
	tString fieldType = iota
	tBool
	tStringList
)

// field is one attribute of a request model.
type field struct {
	name     string
	typ      fieldType
	required bool // no default: absence is a "missing" error
	nullable bool // Optional[...]: null is accepted
}

// schema is a request model. exclusive lists pairs of keys that may not both
// be present, checked before the fields like a pydantic "before" validator.
type schema struct {
	fields    []field
	exclusive [][2]string
}

// validationError is one pydantic error.
type validationError struct {
	loc  string
	msg  string
	kind string // "missing", "value_error" or a type error kind
}

// decodeBody parses and validates body against sc, then unmarshals it into
// dst. A non-nil reply is the 400 Synapse would send.
func decodeBody(body []byte, sc schema, dst any) *reply {
	if !utf8.Valid(body) {
		r := matrixError(http.StatusBadRequest, "M_NOT_JSON", "Content not JSON.")
		return &r
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil || dec.More() {
		r := matrixError(http.StatusBadRequest, "M_NOT_JSON", "Content not JSON.")
		return &r
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		r := matrixError(http.StatusBadRequest, "M_BAD_JSON", "Content must be a JSON object.")
		return &r
	}
	if errs := sc.validate(obj); len(errs) > 0 {
		r := validationReply(errs)
		return &r
	}
	if err := json.Unmarshal(body, dst); err != nil {
		// The schema accepted something the Go struct cannot hold: a bug
		// in the fake, reported like Synapse reports its own bugs.
		r := matrixError(http.StatusInternalServerError, "M_UNKNOWN", "Internal server error")
		return &r
	}
	return nil
}

func (sc schema) validate(obj map[string]any) []validationError {
	for _, pair := range sc.exclusive {
		_, a := obj[pair[0]]
		_, b := obj[pair[1]]
		if a && b {
			return []validationError{{
				msg:  fmt.Sprintf("Value error, Cannot specify both %s and %s", pair[0], pair[1]),
				kind: "value_error",
			}}
		}
	}
	var errs []validationError
	for _, f := range sc.fields {
		v, present := obj[f.name]
		switch {
		case !present:
			if f.required {
				errs = append(errs, validationError{loc: f.name, msg: "Field required", kind: "missing"})
			}
		case v == nil:
			if !f.nullable {
				errs = append(errs, typeError(f.name, f.typ))
			}
		default:
			errs = append(errs, checkType(f.name, f.typ, v)...)
		}
	}
	return errs
}

func checkType(name string, typ fieldType, v any) []validationError {
	switch typ {
	case tString:
		if _, ok := v.(string); !ok {
			return []validationError{typeError(name, typ)}
		}
	case tBool:
		if _, ok := v.(bool); !ok {
			return []validationError{typeError(name, typ)}
		}
	case tStringList:
		items, ok := v.([]any)
		if !ok {
			return []validationError{typeError(name, typ)}
		}
		var errs []validationError
		for i, item := range items {
			if _, ok := item.(string); !ok {
				errs = append(errs, typeError(fmt.Sprintf("%s.%d", name, i), tString))
			}
		}
		return errs
	}
	return nil
}

func typeError(loc string, typ fieldType) validationError {
	switch typ {
	case tBool:
		return validationError{loc: loc, msg: "Input should be a valid boolean", kind: "bool_type"}
	case tStringList:
		return validationError{loc: loc, msg: "Input should be a valid list", kind: "list_type"}
	default:
		return validationError{loc: loc, msg: "Input should be a valid string", kind: "string_type"}
	}
}

// validationReply picks the errcode the way Synapse does: a single missing
// field is M_MISSING_PARAM, a single custom validator failure is
// M_INVALID_PARAM, anything else M_BAD_JSON.
func validationReply(errs []validationError) reply {
	code := "M_BAD_JSON"
	if len(errs) == 1 {
		switch errs[0].kind {
		case "missing":
			code = "M_MISSING_PARAM"
		case "value_error":
			code = "M_INVALID_PARAM"
		}
	}
	var b strings.Builder
	plural := "s"
	if len(errs) == 1 {
		plural = ""
	}
	fmt.Fprintf(&b, "%d validation error%s for PostBody", len(errs), plural)
	for _, e := range errs {
		if e.loc != "" {
			fmt.Fprintf(&b, "\n%s", e.loc)
		}
		fmt.Fprintf(&b, "\n  %s [type=%s]", e.msg, e.kind)
	}
	return matrixError(http.StatusBadRequest, code, b.String())
}
