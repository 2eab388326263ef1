package httpserver

import "net/http"

// resourceRoute is one resource mounted on a listener. Each resource has its
// own ServeMux so that resource-wide behaviour (CORS for the APIs, frame
// options for HTML) wraps exactly that resource's routes.
type resourceRoute struct {
	name    string
	mux     *http.ServeMux
	handler http.Handler
}

// resourceMiddleware adds what a whole resource needs around its mux: CORS
// for the APIs, frame protection for the HTML pages.
func resourceMiddleware(name string, mux *http.ServeMux) http.Handler {
	if p, ok := corsFor(name); ok {
		return withCORS(p, mux, mux)
	}
	if name != ResourceHuman {
		return mux
	}
	// HTML pages must not be framed (clickjacking); a handler that needs
	// otherwise sets its own value first.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(&frameOptionsWriter{ResponseWriter: w}, r)
	})
}

// frameOptionsWriter adds X-Frame-Options: DENY when the handler set none,
// at the moment headers are sent.
type frameOptionsWriter struct {
	http.ResponseWriter
	done bool
}

func (w *frameOptionsWriter) apply() {
	if !w.done {
		w.done = true
		if w.Header().Get("X-Frame-Options") == "" {
			w.Header().Set("X-Frame-Options", "DENY")
		}
	}
}

func (w *frameOptionsWriter) WriteHeader(code int) { w.apply(); w.ResponseWriter.WriteHeader(code) }

func (w *frameOptionsWriter) Write(b []byte) (int, error) {
	w.apply()
	return w.ResponseWriter.Write(b)
}

func (w *frameOptionsWriter) Flush() {
	w.apply()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *frameOptionsWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
