package policy

import "encoding/json"

// SetData puts dynamic data (the policy data stored through the admin
// API, identified by its version, an ID that sorts by creation) in effect
// for every holder of this engine, unless a newer version already is: two
// replicas, a POST and a refresh may apply versions in any order, and the
// newest must win. Invalid data is an error that leaves the engine
// unchanged. It reports whether the data was applied.
func (e *Engine) SetData(version string, dynamic json.RawMessage) (bool, error) {
	d, err := e.prepare(version, dynamic)
	if err != nil {
		return false, err
	}
	for {
		cur := e.dynamic.Load()
		if versionOf(cur) >= version && cur != nil {
			return false, nil
		}
		if e.dynamic.CompareAndSwap(cur, d) {
			return true, nil
		}
	}
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
