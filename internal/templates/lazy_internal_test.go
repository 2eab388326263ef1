package templates

import "testing"

// TestPagesParsedOnFirstRender checks that loading the embedded templates,
// and rendering every sample (as the security policy does at start-up),
// leaves the pages unparsed until a request renders them: all parsed sets
// together hold ~7 MB.
func TestPagesParsedOnFirstRender(t *testing.T) {
	tpl, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tpl.RenderSamples(); err != nil {
		t.Fatal(err)
	}
	sets := *tpl.sets.Load()
	for name, p := range sets {
		if p.set != nil {
			t.Errorf("%s parsed before any request rendered it", name)
		}
	}
	spec := registry[0]
	if _, err := tpl.Render(spec.name, spec.samples()[0]); err != nil {
		t.Fatal(err)
	}
	if sets[spec.name].set == nil {
		t.Errorf("%s not kept after rendering it", spec.name)
	}

	// An override directory is read and checked at load, as before.
	over, err := Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range *over.sets.Load() {
		if p.set == nil {
			t.Errorf("override load left %s unparsed", name)
		}
	}
}
