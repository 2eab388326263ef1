package httpserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/net/html"

	"mas/internal/requestctx"
	"mas/internal/routes"
	"mas/internal/templates"
)

// Security headers every response carries unless its handler set the header
// itself. They are added when the response's headers are sent, not before
// the handler runs, so that a handler's own value (the form_post page's
// policy, say) always wins, whether it used Set or Add, and so that the 500
// page written after a panic, which starts from a cleared header map, gets
// them too.
const (
	headerCSP            = "Content-Security-Policy"
	headerContentTypeOpt = "X-Content-Type-Options"
	headerReferrerPolicy = "Referrer-Policy"
	headerFrameOptions   = "X-Frame-Options"

	// nosniff: a browser must not run a JSON answer or an error text as a
	// script or a page because its bytes look like one.
	valueNoSniff = "nosniff"
	// no-referrer: our URLs carry grant IDs, and the pages link to client
	// and branding sites that have no business seeing them.
	valueNoReferrer = "no-referrer"
	// DENY: no page of ours is meant to be framed (clickjacking the consent
	// page, say); it repeats frame-ancestors 'none' for browsers without
	// CSP level 2.
	valueFrameDeny = "DENY"

	// apiPolicy is the CSP of whatever is not an HTML page: JSON, plain text,
	// metrics. Such a response loads nothing and is never framed, even when
	// a browser displays it.
	apiPolicy = "default-src 'none'; frame-ancestors 'none'"
)

// formsRedirectingToClient are the pages whose form is answered with a
// redirect to the client that started the flow: consent answers with a
// 303 to the OAuth redirect URI, the compat SSO confirmation with a 303 to
// the Matrix client's redirectUrl. Chrome and Safari check every redirect
// that follows a form submission against the submitting page's form-action
// (w3c/webappsec-csp#8), so form-action 'self' would stop the browser just
// before it reaches the client. Only those handlers know the client's
// origin, so until they set a policy naming it, these pages get no
// form-action.
var formsRedirectingToClient = map[string]bool{
	routes.ConsentPattern:           true,
	routes.CompleteCompatSSOPattern: true,
}

// securityPolicy chooses the headers of each response. It is shared by every
// listener of a server.
type securityPolicy struct {
	tpl    *templates.Templates // nil: no page of ours has inline CSS to allow
	logger *slog.Logger

	refreshing sync.Mutex // held by the one request re-reading the hashes
	first      sync.Once  // the first reading, on the first page or WarmUp
	pages      atomic.Pointer[pagePolicies]
}

// pagePolicies are the CSPs of HTML pages for one set of templates.
type pagePolicies struct {
	generation    uint64   // of the templates the styles were read from
	styles        []string // CSP hash sources of the templates' <style> elements
	withFormCheck string
	noFormCheck   string // for formsRedirectingToClient
}

// newSecurityPolicy does not read the styles: that renders every template
// sample, which took a third of the start-up time (and 28 MB of garbage)
// before /health could answer. The first HTML page, or Server.WarmUp right
// after start, reads them.
func newSecurityPolicy(tpl *templates.Templates, logger *slog.Logger) (*securityPolicy, error) {
	return &securityPolicy{tpl: tpl, logger: logger}, nil
}

// firstPolicies reads the styles once. The tests render every embedded
// sample and templates.Load every override's, so this fails only if the
// templates broke since; then pages get a policy without style hashes until
// the next reload.
func (p *securityPolicy) firstPolicies() *pagePolicies {
	p.first.Do(func() {
		generation := p.generation()
		styles, err := p.readStyles()
		if err != nil {
			p.logger.Error("pages get no inline styles in their Content-Security-Policy", "error", err)
		}
		p.pages.Store(newPagePolicies(generation, styles))
	})
	return p.pages.Load()
}

// readStyles hashes every inline <style> element the templates render.
// They are taken from the rendered samples, not from the template files,
// because html/template rewrites CSS as it goes (it drops comments) and an
// operator may have overridden any template. Styles that depend on page
// data would not match, and none does.
func (p *securityPolicy) readStyles() ([]string, error) {
	if p.tpl == nil {
		return nil, nil
	}
	rendered, err := p.tpl.RenderSamples()
	if err != nil {
		return nil, fmt.Errorf("reading the pages' inline styles: %w", err)
	}
	var sources []string
	for _, r := range rendered {
		for _, text := range inlineElements(r.HTML, "style") {
			if text == "" {
				continue
			}
			sum := sha256.Sum256([]byte(text))
			sources = append(sources, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
		}
	}
	slices.Sort(sources)
	return slices.Compact(sources), nil
}

// inlineElements returns the text of every element named tag (style or
// script) in page, as a browser hashes it: raw, with line breaks
// normalised to \n.
func inlineElements(page []byte, tag string) []string {
	var out []string
	z := html.NewTokenizer(bytes.NewReader(page))
	var text *strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken:
			name, _ := z.TagName()
			if string(name) == tag {
				text = &strings.Builder{}
			}
		case html.TextToken:
			if text != nil {
				text.Write(z.Text())
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if text != nil && string(name) == tag {
				out = append(out, text.String())
				text = nil
			}
		}
	}
}

func newPagePolicies(generation uint64, styles []string) *pagePolicies {
	return &pagePolicies{
		generation: generation, styles: styles,
		withFormCheck: pagePolicy(styles, true, nil), noFormCheck: pagePolicy(styles, false, nil),
	}
}

// pagePolicy is the CSP of an HTML page. extra holds the origins the page's
// handler added for a widget it embeds (requestctx.AllowPageSources); only
// that response carries them.
func pagePolicy(styles []string, formAction bool, extra *requestctx.PageSources) string {
	if extra == nil {
		extra = &requestctx.PageSources{}
	}
	var b strings.Builder
	b.WriteString("default-src 'none'")
	writeSources(&b, "script-src", extra.Script)
	b.WriteString("; style-src 'self'")
	for _, s := range styles {
		b.WriteString(" " + s)
	}
	for _, s := range extra.Style {
		b.WriteString(" " + s)
	}
	// The deployment's logo and clients' logos are remote https
	// images; data: covers small inline icons an override may use.
	b.WriteString("; img-src 'self' https: data:")
	writeSources(&b, "frame-src", extra.Frame)
	writeSources(&b, "connect-src", extra.Connect)
	b.WriteString("; frame-ancestors 'none'")
	if formAction {
		b.WriteString("; form-action 'self'")
	}
	b.WriteString("; base-uri 'none'")
	return b.String()
}

// writeSources writes a directive when it has sources.
func writeSources(b *strings.Builder, directive string, sources []string) {
	if len(sources) == 0 {
		return
	}
	b.WriteString("; " + directive)
	for _, s := range sources {
		b.WriteString(" " + s)
	}
}

// generation is the templates' load count (0 without templates).
func (p *securityPolicy) generation() uint64 {
	if p.tpl == nil {
		return 0
	}
	return p.tpl.Generation()
}

// pagePolicies returns the page CSPs, reading the styles again after the
// templates were reloaded (SIGHUP): reading them renders every page
// sample, so it is done once per load. One request does that while the
// others use the previous value; on error the previous value stays until
// the next reload.
func (p *securityPolicy) pagePolicies() *pagePolicies {
	cur := p.pages.Load()
	if cur == nil {
		return p.firstPolicies()
	}
	generation := p.generation()
	if generation == cur.generation || !p.refreshing.TryLock() {
		return cur
	}
	defer p.refreshing.Unlock()
	if cur = p.pages.Load(); cur.generation == generation {
		return cur // another request just read them
	}
	styles, err := p.readStyles()
	if err != nil {
		p.logger.Error("keeping the previous Content-Security-Policy of pages", "error", err)
		styles = cur.styles
	} else if !slices.Equal(styles, cur.styles) {
		p.logger.Info("the templates' inline styles changed; pages now allow the new ones")
	}
	next := newPagePolicies(generation, styles)
	p.pages.Store(next)
	return next
}

// apply adds the headers the handler left out. route is the pattern that
// matched ("" for the server's own answers); extra, the origins the
// handler added to its page's policy (nil for none).
func (p *securityPolicy) apply(h http.Header, route string, extra *requestctx.PageSources) {
	setIfAbsent(h, headerContentTypeOpt, valuesNoSniff)
	setIfAbsent(h, headerReferrerPolicy, valuesNoReferrer)
	setIfAbsent(h, headerFrameOptions, valuesFrameDeny)
	if len(h.Values(headerCSP)) > 0 {
		return
	}
	if !isHTML(h.Get("Content-Type")) {
		h[headerCSP] = valuesAPIPolicy
		return
	}
	pages := p.pagePolicies()
	formCheck := !formsRedirectingToClient[routePath(route)]
	switch {
	case !extra.IsZero():
		h.Set(headerCSP, pagePolicy(pages.styles, formCheck, extra))
	case formCheck:
		h.Set(headerCSP, pages.withFormCheck)
	default:
		h.Set(headerCSP, pages.noFormCheck)
	}
}

// The values of the fixed headers, shared by every response instead of
// allocated for each (these headers are on every answer). Their capacity
// is their length, so an Add after them copies instead of writing into
// them; Set replaces them.
var (
	valuesNoSniff    = []string{valueNoSniff}
	valuesNoReferrer = []string{valueNoReferrer}
	valuesFrameDeny  = []string{valueFrameDeny}
	valuesAPIPolicy  = []string{apiPolicy}
)

// setIfAbsent sets a canonical header key to shared values unless the
// handler set it.
func setIfAbsent(h http.Header, key string, values []string) {
	if len(h.Values(key)) == 0 {
		h[key] = values
	}
}

// isHTML reports whether a Content-Type is an HTML page. A response without
// one counts as not HTML: it gets the stricter policy, which at worst
// leaves a page unstyled.
func isHTML(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "text/html"
}

// routePath drops the method from a ServeMux pattern.
func routePath(pattern string) string {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		return path
	}
	return pattern
}

// securityWriter applies the policy when the response's headers are sent.
type securityWriter struct {
	http.ResponseWriter
	policy *securityPolicy
	info   *requestInfo
	done   bool
}

func (w *securityWriter) applyOnce() {
	if !w.done {
		w.done = true
		w.policy.apply(w.Header(), w.info.route, w.info.pageSources)
	}
}

func (w *securityWriter) WriteHeader(code int) {
	// Informational responses come before the real one, whose handler may
	// still set its own headers.
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.applyOnce()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *securityWriter) Write(b []byte) (int, error) {
	w.applyOnce()
	return w.ResponseWriter.Write(b)
}

func (w *securityWriter) Flush() {
	w.applyOnce()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *securityWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
