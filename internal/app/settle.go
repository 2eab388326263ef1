package app

import (
	"runtime/debug"

	"mas/internal/httpserver"
)

// settle runs once the listeners answer: it does the HTTP server's
// deferred start-up work, then hands back to the kernel what only starting
// needed: the start-up garbage (sample renders, the migrations check,
// catalogs), which the Go runtime would otherwise keep for minutes, and the
// executable's pages that starting touched (every package's init runs code
// spread over the whole binary; see releaseStartupPages).
func settle(hs *httpserver.Server) {
	hs.WarmUp()
	debug.FreeOSMemory()
	// Failing only means the pages stay mapped until the kernel wants them.
	_, _ = releaseStartupPages()
}
