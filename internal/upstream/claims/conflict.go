package claims

// Resolution is what the login flow does with the imported localpart of
// an upstream account that is not linked yet.
type Resolution int

const (
	// ResolveChoose: no localpart is imported (none configured, none
	// rendered, or a suggestion that cannot be used); the user picks one.
	ResolveChoose Resolution = iota
	// ResolveRegister: register a new account with the localpart; the user
	// may edit it only when it is merely suggested.
	ResolveRegister
	// ResolveRefuse: stop with an error page; nothing is created or linked.
	ResolveRefuse
	// ResolveLink: link the upstream account to the user holding the
	// localpart, in addition to that user's other links, and log in as
	// that user.
	ResolveLink
	// ResolveReplace: remove every link the holder has to this provider,
	// then link the upstream account to the holder and log in as the
	// holder.
	ResolveReplace
)

func (r Resolution) String() string {
	switch r {
	case ResolveChoose:
		return "choose"
	case ResolveRegister:
		return "register"
	case ResolveRefuse:
		return "refuse"
	case ResolveLink:
		return "link"
	case ResolveReplace:
		return "replace"
	}
	return "unknown"
}

// LocalpartCheck is what the flow found out about an imported localpart.
type LocalpartCheck struct {
	// Taken: a local user holds the localpart.
	Taken bool
	// HolderLinked: that user already has a link to this provider (for
	// another subject: a link for this subject would have logged in).
	HolderLinked bool
	// Unavailable: no local user holds it, but the username policy or the
	// homeserver refuses it.
	Unavailable bool
}

// Resolve decides what to do with the imported localpart; see
// ResolveLocalpart.
func (l Localpart) Resolve(c LocalpartCheck) Resolution {
	return ResolveLocalpart(l.Action, l.OnConflict, l.Present(), c)
}

// ResolveLocalpart decides what to do with an imported localpart, as the
// table in the package documentation lays out. A local holder is looked
// at before the policy and the homeserver, as upstream does.
func ResolveLocalpart(action Action, onConflict OnConflict, present bool, c LocalpartCheck) Resolution {
	forced := action == ActionForce || action == ActionRequire
	switch {
	case !present && action == ActionRequire:
		// Evaluate never lets this through; refuse rather than guess.
		return ResolveRefuse
	case !present || (action != ActionSuggest && !forced):
		return ResolveChoose
	case !forced && (c.Taken || c.Unavailable):
		return ResolveChoose // a suggestion that cannot be used is dropped
	case !c.Taken && c.Unavailable:
		return ResolveRefuse
	case !c.Taken:
		return ResolveRegister
	}
	switch onConflict {
	case ConflictAdd:
		return ResolveLink
	case ConflictReplace:
		return ResolveReplace
	case ConflictSet:
		if c.HolderLinked {
			return ResolveRefuse
		}
		return ResolveLink
	}
	return ResolveRefuse // fail, and anything unknown
}
