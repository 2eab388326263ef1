package app

import (
	"runtime/debug"

	"mas/internal/httpserver"
)

// settle runs once the listeners answer: it does the HTTP server's
// deferred start-up work, then hands the start-up garbage (template
// parsing and rendering, migrations check, catalogs; tens of MB) back to
// the kernel. Without it the Go runtime keeps those pages for minutes and
// idle RSS is twice the live heap.
func settle(hs *httpserver.Server) {
	hs.WarmUp()
	debug.FreeOSMemory()
}
