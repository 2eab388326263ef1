package policy

import "encoding/json"

// SetData puts dynamic data (the policy data stored through the admin
// API, identified by version) in effect for every holder of this engine,
// replacing the version applied before. The engine keeps answering with
// the previous data until the swap; invalid data is an error that leaves
// it unchanged.
func (e *Engine) SetData(version string, dynamic json.RawMessage) error {
	d, err := e.prepare(version, dynamic)
	if err != nil {
		return err
	}
	e.dynamic.Store(d)
	return nil
}

// SetDataIf is SetData unless the version in effect is no longer seen
// (read by DataVersion before the data was loaded): a concurrent SetData
// won, and its newer data must not be replaced by what was read before
// it. It reports whether the data was applied.
func (e *Engine) SetDataIf(seen, version string, dynamic json.RawMessage) (bool, error) {
	d, err := e.prepare(version, dynamic)
	if err != nil {
		return false, err
	}
	cur := e.dynamic.Load()
	if versionOf(cur) != seen {
		return false, nil
	}
	return e.dynamic.CompareAndSwap(cur, d), nil
}

// DataVersion returns the version SetData applied last ("" for none).
func (e *Engine) DataVersion() string { return versionOf(e.dynamic.Load()) }

func (e *Engine) prepare(version string, dynamic json.RawMessage) (*dynamicData, error) {
	n, err := e.WithData(dynamic)
	if err != nil {
		return nil, err
	}
	return &dynamicData{version: version, engine: n}, nil
}

func versionOf(d *dynamicData) string {
	if d == nil {
		return ""
	}
	return d.version
}
