package oauth

// Scopes as upstream keeps them: ordered sets, rendered space-separated.

import (
	"slices"
	"strings"
)

// scopeList parses a space-separated scope into the set upstream keeps:
// duplicates dropped, in byte order.
func scopeList(s string) []string {
	return canonicalScope(strings.Fields(s))
}

// canonicalScope sorts and de-duplicates a scope, which is how upstream's
// scope type (an ordered set) serialises it in every response.
func canonicalScope(scope []string) []string {
	out := slices.Clone(scope)
	slices.Sort(out)
	return slices.Compact(out)
}

// scopeString renders a scope for a response.
func scopeString(scope []string) string {
	return strings.Join(canonicalScope(scope), " ")
}

// scopeIncludes reports whether the scope grants one token.
func scopeIncludes(scope []string, token string) bool {
	return slices.Contains(scope, token)
}
