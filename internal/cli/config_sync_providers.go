package cli

import (
	"fmt"
	"io"

	"mas/internal/app"
)

// printProviderSync prints one line per provider the sync changed (or, in
// a dry run, would change), then the counts. suffix marks a dry run.
func printProviderSync(w io.Writer, r app.ProviderSyncReport, suffix string) {
	for _, c := range r.Changes() {
		fmt.Fprintf(w, "Upstream provider %s: %s\n", c.Provider, c.Action)
	}
	fmt.Fprintf(w, "Upstream providers: %d created, %d updated, %d enabled again, %d unchanged, %d disabled, %d deleted%s\n",
		len(r.Created), len(r.Updated), len(r.Reenabled), len(r.Unchanged), len(r.Disabled), len(r.Deleted), suffix)
	if len(r.Stale) > 0 {
		fmt.Fprintf(w, "%d upstream provider(s) no longer configured stay disabled; run `mas-cli config sync --prune` to delete them with their links\n",
			len(r.Stale))
	}
}
