package claims

import "testing"

// Every row of the table in the package documentation.
func TestResolveLocalpart(t *testing.T) {
	free := LocalpartCheck{}
	refused := LocalpartCheck{Unavailable: true}
	taken := LocalpartCheck{Taken: true}
	takenLinked := LocalpartCheck{Taken: true, HolderLinked: true}
	for _, tc := range []struct {
		action     Action
		onConflict OnConflict
		present    bool
		check      LocalpartCheck
		want       Resolution
	}{
		{ActionIgnore, ConflictFail, false, taken, ResolveChoose},
		{ActionIgnore, ConflictFail, true, taken, ResolveChoose},
		{ActionSuggest, ConflictFail, false, free, ResolveChoose},
		{ActionForce, ConflictAdd, false, taken, ResolveChoose},
		{ActionRequire, ConflictAdd, false, free, ResolveRefuse},

		{ActionSuggest, ConflictFail, true, free, ResolveRegister},
		{ActionSuggest, ConflictFail, true, taken, ResolveChoose},
		{ActionSuggest, ConflictFail, true, takenLinked, ResolveChoose},
		{ActionSuggest, ConflictFail, true, refused, ResolveChoose},

		{ActionForce, ConflictFail, true, free, ResolveRegister},
		{ActionRequire, ConflictFail, true, free, ResolveRegister},
		{ActionForce, ConflictAdd, true, refused, ResolveRefuse},
		{ActionRequire, ConflictFail, true, refused, ResolveRefuse},

		{ActionForce, ConflictFail, true, taken, ResolveRefuse},
		{ActionRequire, ConflictFail, true, takenLinked, ResolveRefuse},
		{ActionForce, ConflictAdd, true, taken, ResolveLink},
		{ActionRequire, ConflictAdd, true, takenLinked, ResolveLink},
		{ActionForce, ConflictReplace, true, taken, ResolveReplace},
		{ActionRequire, ConflictReplace, true, takenLinked, ResolveReplace},
		{ActionForce, ConflictSet, true, taken, ResolveLink},
		{ActionRequire, ConflictSet, true, takenLinked, ResolveRefuse},
		// A local holder is looked at before the policy and homeserver.
		{ActionForce, ConflictAdd, true, LocalpartCheck{Taken: true, Unavailable: true}, ResolveLink},
		// Unknown or empty on_conflict is fail.
		{ActionForce, "", true, taken, ResolveRefuse},
		{ActionForce, "merge", true, taken, ResolveRefuse},
	} {
		got := ResolveLocalpart(tc.action, tc.onConflict, tc.present, tc.check)
		if got != tc.want {
			t.Errorf("ResolveLocalpart(%s, %s, present=%v, %+v) = %v, want %v",
				tc.action, tc.onConflict, tc.present, tc.check, got, tc.want)
		}
	}
}

func TestLocalpartResolveFromEvaluate(t *testing.T) {
	m := mustCompile(t, Options{Localpart: LocalpartOptions{Action: ActionRequire, OnConflict: ConflictSet}})
	res, err := m.Evaluate(map[string]any{"sub": "s", "preferred_username": "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Localpart.Resolve(LocalpartCheck{Taken: true}); got != ResolveLink {
		t.Errorf("got %v", got)
	}
	if got := res.Localpart.Resolve(LocalpartCheck{Taken: true, HolderLinked: true}); got != ResolveRefuse {
		t.Errorf("got %v", got)
	}
}
