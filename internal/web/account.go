package web

import "net/http"

// mountAccount registers the account pages under /account/.
func (h *Handler) mountAccount(mux *http.ServeMux) {}
