package requestctx

import (
	"context"
	"strings"
)

// PageSources are origins one page adds to its Content-Security-Policy, for
// a third-party widget it embeds (the registration form's captcha). The
// HTTP layer builds every page's policy after the handler has run; a
// handler that needs more than the common page policy says so with
// AllowPageSources, and only that response gets the extra origins.
type PageSources struct {
	Script  []string // script-src
	Frame   []string // frame-src
	Style   []string // style-src
	Connect []string // connect-src
}

type pageSourcesKey struct{}

// WithPageSources returns a context in which handlers may add page sources,
// and the holder they are added to. The HTTP layer calls it before the
// handler runs and reads the holder when it writes the response's headers.
func WithPageSources(ctx context.Context) (context.Context, *PageSources) {
	s := &PageSources{}
	return context.WithValue(ctx, pageSourcesKey{}, s), s
}

// AllowPageSources adds s to the policy of the response being written for
// ctx's request. It must be called before the response's headers are
// written, from the handler's goroutine. It reports false when nothing
// builds a policy for this request (a handler test without the HTTP
// layer). Sources must be https origins or URL prefixes
// ("https://example.com", "https://*.example.com"); anything else (a
// keyword such as 'unsafe-inline', a bare *, text that would break out of
// the directive) is dropped.
func AllowPageSources(ctx context.Context, s PageSources) bool {
	holder, ok := ctx.Value(pageSourcesKey{}).(*PageSources)
	if !ok || holder == nil {
		return false
	}
	holder.Script = appendSources(holder.Script, s.Script)
	holder.Frame = appendSources(holder.Frame, s.Frame)
	holder.Style = appendSources(holder.Style, s.Style)
	holder.Connect = appendSources(holder.Connect, s.Connect)
	return true
}

// IsZero reports whether no source was added.
func (s *PageSources) IsZero() bool {
	return s == nil || len(s.Script)+len(s.Frame)+len(s.Style)+len(s.Connect) == 0
}

func appendSources(have, add []string) []string {
	for _, src := range add {
		if !strings.HasPrefix(src, "https://") || strings.ContainsAny(src, ";, \t\r\n\f\v'\"") {
			continue
		}
		dup := false
		for _, h := range have {
			dup = dup || h == src
		}
		if !dup {
			have = append(have, src)
		}
	}
	return have
}
