package httpserver

import (
	"net/http"
	"strconv"

	"mas/internal/requestctx"
	"mas/internal/templates"
)

// common is the layout data for pages the server renders itself.
func (h *listenerHandler) common(r *http.Request) templates.Common {
	if h.pageCommon != nil {
		return h.pageCommon(r)
	}
	return templates.Common{Lang: "en"}
}

// notFound serves the HTML 404 page, for API-looking paths too: that is what
// clients of the upstream service see.
func (h *listenerHandler) notFound(w http.ResponseWriter, r *http.Request) {
	info := infoFrom(r.Context())
	info.route = routeNotFound
	page := templates.NotFoundPage{Common: h.common(r), Path: info.path}
	h.page(w, r, http.StatusNotFound, templates.PageNotFound, page, "Not Found\n")
}

func (h *listenerHandler) internalError(w http.ResponseWriter, r *http.Request) {
	page := templates.ErrorPage{
		Common:      h.common(r),
		Description: templates.Msg("errors.server_unexpected"),
		Details:     "Request ID: " + requestctx.RequestID(r.Context()),
	}
	h.page(w, r, http.StatusInternalServerError, templates.PageError, page, "Internal Server Error\n")
}

// page renders a template, falling back to plain text when there are no
// templates or rendering fails, so an error path can never fail itself.
func (h *listenerHandler) page(w http.ResponseWriter, r *http.Request, status int, name string, data any, fallback string) {
	contentType, body := "text/plain; charset=utf-8", []byte(fallback)
	if h.tpl != nil {
		html, err := h.tpl.Render(name, data)
		if err == nil {
			contentType, body = "text/html; charset=utf-8", html
		} else {
			requestctx.Logger(r.Context()).Error("rendering page failed", "template", name, "error", err)
		}
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
