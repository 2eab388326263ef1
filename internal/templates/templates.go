// Package templates renders the server-side HTML pages.
//
// Templates ship embedded in the binary; an operator may override any of them
// by placing a file with the same relative name (base.html,
// pages/404.html, …) in the configured templates directory. Every page has a
// typed data struct with samples, so Check can render all of them before a
// deployment serves a broken page.
package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

//go:embed files
var embedded embed.FS

// layoutFiles are parsed into every page's template set, before the page.
// account.html is the frame of the account sections.
var layoutFiles = []string{"base.html", "components.html", "account.html"}

// Templates holds the template sets, one per page. It is safe for
// concurrent use, including Reload while pages are being rendered.
type Templates struct {
	overrideDir string
	sets        atomic.Pointer[map[string]*pageSet]
	emails      atomic.Pointer[map[string]*emailSet] // see emails.go
	generation  atomic.Uint64                        // successful loads so far
}

// pageSet is one page's template set, parsed when first rendered: each set
// repeats the layouts' parse trees (~150 kB a page, ~7 MB for all), and an
// idle server has rendered few pages or none.
type pageSet struct {
	once sync.Once
	src  source
	name string
	set  *template.Template
	err  error
}

func (p *pageSet) get() (*template.Template, error) {
	p.once.Do(func() { p.set, p.err = parsePage(p.src, p.name) })
	return p.set, p.err
}

// sampleSet is the set to render name's samples with, for checks and the
// security policy's styles: a set parsed for the purpose and dropped
// after, so that rendering every sample at start-up does not keep every
// page parsed. Override sets are parsed already (see Reload).
func (t *Templates) sampleSet(name string) (*template.Template, error) {
	p := (*t.sets.Load())[name]
	if p.src.dir != "" {
		return p.get()
	}
	return parsePage(p.src, name)
}

// Load prepares the embedded templates, each replaced by the file of the
// same name in overrideDir when there is one. An empty or missing
// overrideDir means the embedded templates only, each page parsed when
// first rendered. With an override directory every page is parsed and
// rendered once with its samples now, so that mistakes surface now, not on
// the first request.
func Load(overrideDir string) (*Templates, error) {
	t := &Templates{overrideDir: overrideDir}
	if err := t.Reload(); err != nil {
		return nil, err
	}
	return t, nil
}

// Reload parses the templates again (on SIGHUP, say). On error the templates
// in use are kept and the error is returned.
func (t *Templates) Reload() error {
	src, err := newSource(t.overrideDir)
	if err != nil {
		return err
	}
	sets := make(map[string]*pageSet, len(registry))
	for _, p := range registry {
		set := &pageSet{src: src, name: p.name}
		// Embedded files cannot change, and the tests render every page
		// of them; an override directory is read now, as Reload promises,
		// and checked.
		if src.dir != "" {
			if _, err := set.get(); err != nil {
				return err
			}
		}
		sets[p.name] = set
	}
	// Only an override directory can bring a mistake the tests have not
	// seen (they render every embedded sample), so only then is every page
	// rendered now: it was half of the service's start-up time.
	for _, p := range registry {
		if src.dir == "" {
			break
		}
		for i, sample := range p.samples() {
			if _, err := execute(sets[p.name].set, p.name, sample); err != nil {
				return fmt.Errorf("templates: %s (sample %d): %w", src.origin(p.name), i, err)
			}
		}
	}
	emails, err := loadEmails(src)
	if err != nil {
		return err
	}
	t.sets.Store(&sets)
	t.emails.Store(&emails)
	t.generation.Add(1)
	return nil
}

// Generation counts the successful loads (Load, then each Reload): what
// was derived from the templates, such as the hashes of their inline
// styles, is stale once it changes.
func (t *Templates) Generation() uint64 { return t.generation.Load() }

func parsePage(src source, name string) (*template.Template, error) {
	set := template.New(name).Funcs(funcs)
	for _, file := range append(slices.Clone(layoutFiles), name) {
		text, err := src.read(file)
		if err != nil {
			return nil, err
		}
		// The page file itself must be the set's root, so it is parsed into
		// the template named after the set; layout files get their own name.
		target := set
		if file != name {
			target = set.New(file)
		}
		if _, err := target.Parse(string(text)); err != nil {
			return nil, fmt.Errorf("templates: %s: %w", src.origin(file), err)
		}
	}
	return set, nil
}

// Render executes the named template with data into a buffer, so a failing
// template never leaves a half-written response. data must be the page's
// struct (or a pointer to it).
func (t *Templates) Render(name string, data any) ([]byte, error) {
	spec, ok := lookup(name)
	if !ok {
		return nil, fmt.Errorf("templates: no page named %q", name)
	}
	if typ := reflect.TypeOf(data); typ != spec.typ && typ != reflect.PointerTo(spec.typ) {
		return nil, fmt.Errorf("templates: %s renders %s, got %T", name, spec.typ, data)
	}
	set, err := (*t.sets.Load())[name].get()
	if err != nil {
		return nil, err
	}
	out, err := execute(set, name, data)
	if err != nil {
		return nil, fmt.Errorf("templates: %s: %w", name, err)
	}
	return out, nil
}

// Respond renders the page and, only if that succeeded, writes it as an HTML
// response with the given status. On error nothing has been written, so the
// caller can still answer differently.
func (t *Templates) Respond(w http.ResponseWriter, status int, name string, data any) error {
	body, err := t.Render(name, data)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}

func execute(set *template.Template, name string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := set.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func lookup(name string) (pageSpec, bool) {
	for _, p := range registry {
		if p.name == name {
			return p, true
		}
	}
	return pageSpec{}, false
}

// source reads template files from the override directory when it has them,
// and from the embedded files otherwise.
type source struct {
	dir string // "" when there is no override directory
}

func newSource(dir string) (source, error) {
	if dir == "" {
		return source{}, nil
	}
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return source{}, nil
	case err != nil:
		return source{}, fmt.Errorf("templates: override directory: %w", err)
	case !info.IsDir():
		return source{}, fmt.Errorf("templates: override path %s is not a directory", dir)
	}
	return source{dir: dir}, nil
}

func (s source) read(name string) ([]byte, error) {
	if s.dir != "" {
		text, err := os.ReadFile(filepath.Join(s.dir, filepath.FromSlash(name)))
		if err == nil {
			return text, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("templates: %w", err)
		}
	}
	text, err := fs.ReadFile(embedded, path.Join("files", name))
	if err != nil {
		return nil, fmt.Errorf("templates: embedded %s: %w", name, err)
	}
	return text, nil
}

// origin names where a template file came from, for error messages.
func (s source) origin(name string) string {
	if s.dir != "" {
		p := filepath.Join(s.dir, filepath.FromSlash(name))
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "embedded " + name
}
