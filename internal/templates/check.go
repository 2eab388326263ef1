package templates

import (
	"bytes"
	"fmt"
)

// Rendered is one page rendered with one of its samples.
type Rendered struct {
	Name   string // template name, e.g. "pages/404.html"
	Sample int    // index into the page's Sample() result
	HTML   []byte
}

// RenderSamples renders every page with each of its samples, in registry
// order. `templates check --out-dir` writes these out for review.
func (t *Templates) RenderSamples() ([]Rendered, error) {
	var out []Rendered
	for _, p := range registry {
		set, err := t.sampleSet(p.name)
		if err != nil {
			return nil, err
		}
		for i, sample := range p.samples() {
			html, err := execute(set, p.name, sample)
			if err != nil {
				return nil, fmt.Errorf("sample %d: templates: %s: %w", i, p.name, err)
			}
			out = append(out, Rendered{Name: p.name, Sample: i, HTML: html})
		}
	}
	return out, nil
}

// Check renders every sample twice and compares the results, catching both
// template errors and output that depends on map order or other hidden
// state (which would make pages flicker and caches miss).
func (t *Templates) Check() error {
	first, err := t.RenderSamples()
	if err != nil {
		return err
	}
	second, err := t.RenderSamples()
	if err != nil {
		return err
	}
	for i := range first {
		if !bytes.Equal(first[i].HTML, second[i].HTML) {
			return fmt.Errorf("templates: %s (sample %d) renders differently on each run", first[i].Name, first[i].Sample)
		}
		if len(bytes.TrimSpace(first[i].HTML)) == 0 {
			return fmt.Errorf("templates: %s (sample %d) renders nothing", first[i].Name, first[i].Sample)
		}
	}
	return t.checkEmails()
}
