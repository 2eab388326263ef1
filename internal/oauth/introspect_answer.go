package oauth

// Cached answers are kept encoded: a hit writes bytes prepared when the
// answer was cached, with only exp and expires_in (which depend on the time
// of the question) formatted in between. The bytes are exactly what
// writeJSON would write for the same answer.

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// encodedAnswer is an active answer encoded once. For a token without
// expiry, plain is the whole body; otherwise head (which ends with
// `"exp":`), the expiry, `,"expires_in":`, the seconds left and tail.
type encodedAnswer struct {
	plain, head, tail []byte
}

// expiresInField separates the two numbers a hit formats.
const expiresInField = `,"expires_in":`

// encodeAnswer prepares resp (an active answer) for hits: it is encoded
// once with both time fields set to a sentinel, whose place is then cut
// out. A sentinel cannot appear elsewhere: the field names are quoted, and
// quotes inside string values are escaped.
func encodeAnswer(resp *introspectionResponse, expires bool) encodedAnswer {
	r := *resp
	if !expires {
		r.Exp, r.ExpiresIn = nil, nil
		return encodedAnswer{plain: encodeBody(&r)}
	}
	sentinel := int64(math.MinInt64)
	r.Exp, r.ExpiresIn = &sentinel, &sentinel
	body := encodeBody(&r)
	num := strconv.FormatInt(sentinel, 10)
	exp := []byte(`"exp":` + num + expiresInField + num)
	i := bytes.Index(body, exp)
	return encodedAnswer{head: body[:i+len(`"exp":`)], tail: body[i+len(exp):]}
}

// encodeBody is writeJSON's encoding.
func encodeBody(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // an introspectionResponse always encodes
	return buf.Bytes()
}

// Header values shared by every answer (a composite literal's capacity is
// its length: an Add after them copies instead of writing into them).
var (
	valuesJSON    = []string{"application/json"}
	valuesNoStore = []string{"no-store"}
)

// setAnswerHeaders sets the headers of an introspection answer: JSON, not
// to be stored. Unlike the token endpoint's (RFC 6749 §5.1), it carries no
// HTTP/1.0 Pragma, as upstream's carries none: with it, the answer's
// headers no longer fit the small map net/http copies for every response.
func setAnswerHeaders(w http.ResponseWriter) {
	h := w.Header()
	h["Content-Type"] = valuesJSON
	h["Cache-Control"] = valuesNoStore
}

// writeIntrospection writes an answer that was not cached.
func writeIntrospection(w http.ResponseWriter, resp *introspectionResponse) {
	setAnswerHeaders(w)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(encodeBody(resp))
}

// answerBufs hold the bodies of hits on expiring tokens while they are
// written.
var answerBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// writeAnswer writes a cached answer, for a token that expires at
// expiresAt (nil: never) asked about at now.
func writeAnswer(w http.ResponseWriter, a *encodedAnswer, expiresAt *time.Time, now time.Time) {
	setAnswerHeaders(w)
	w.WriteHeader(http.StatusOK)
	if expiresAt == nil {
		_, _ = w.Write(a.plain)
		return
	}
	bp := answerBufs.Get().(*[]byte)
	b := append((*bp)[:0], a.head...)
	b = strconv.AppendInt(b, expiresAt.Unix(), 10)
	b = append(b, expiresInField...)
	b = strconv.AppendInt(b, *secondsUntil(now, *expiresAt), 10)
	b = append(b, a.tail...)
	_, _ = w.Write(b)
	*bp = b
	answerBufs.Put(bp)
}
