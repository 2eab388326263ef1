package web

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// setRetryAfter tells a rate-limited client how long to wait, in whole
// seconds rounded up.
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	if d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
	}
}
