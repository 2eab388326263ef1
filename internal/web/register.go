package web

import "net/http"

// mountRegistration registers /register and its steps when password
// registration is enabled.
func (h *Handler) mountRegistration(mux *http.ServeMux) {}
