package adminapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
)

// errorBody is upstream's ErrorResponse: {"errors":[{"title":"…"}]}.
type errorBody struct {
	Errors []errorItem `json:"errors"`
}

type errorItem struct {
	Title string `json:"title"`
}

// writeError answers with one error and its status.
func writeError(w http.ResponseWriter, status int, title string) {
	writeJSON(w, status, errorBody{Errors: []errorItem{{Title: title}}})
}

// internalError logs err and answers 500 without its details.
func internalError(w http.ResponseWriter, r *http.Request, err error) {
	slog.ErrorContext(r.Context(), "admin API request failed", "path", r.URL.Path, "error", err)
	writeError(w, http.StatusInternalServerError, "Internal server error")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
