package web

import "net/http"

// mountRecovery registers /recover and its steps when password recovery is
// enabled.
func (h *Handler) mountRecovery(mux *http.ServeMux) {}
