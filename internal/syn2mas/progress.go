package syn2mas

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// Reporter shows a migration's progress: on a terminal, a bar per stage
// redrawn in place; elsewhere (a log, a pipe), upstream's plain line every
// few seconds. Each stage ends with a summary line. It is safe for
// concurrent use. import-upstream reports through it too.
type Reporter struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	verb     string // "migrating", "importing"
	every    time.Duration
	now      func() time.Time
	nouns    map[string]string

	entity   string
	approx   int64
	last     time.Time
	migrated int64
	skipped  int64
}

// NewReporter reports to w; terminal draws bars. verb starts the progress
// lines ("migrating users: …"); nouns name each entity in the summary
// lines (nil: the entity names; see StageNouns).
func NewReporter(w io.Writer, terminal bool, verb string, nouns map[string]string) *Reporter {
	return &Reporter{w: w, terminal: terminal, verb: verb, every: 5 * time.Second, now: time.Now, nouns: nouns}
}

// StageNouns are upstream's names of the syn2mas stages in its summary
// lines.
var StageNouns = map[string]string{
	EntityUsers:               "users",
	EntityThreepids:           "third-party IDs",
	EntityExternalIDs:         "upstream links (external IDs)",
	EntityUnrefreshableTokens: "non-refreshable access tokens",
	EntityRefreshableTokens:   "refreshable token pairs",
	EntityDevices:             "devices",
}

// Stage starts an entity.
func (r *Reporter) Stage(entity string, approx int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entity, r.approx, r.migrated, r.skipped = entity, approx, 0, 0
	r.last = r.now()
	if r.terminal {
		r.drawBar()
	}
}

// Update records the counts so far and shows them when it is time.
func (r *Reporter) Update(entity string, migrated, skipped int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.migrated, r.skipped = migrated, skipped
	now := r.now()
	switch {
	case r.terminal && now.Sub(r.last) >= 100*time.Millisecond:
		r.last = now
		r.drawBar()
	case !r.terminal && now.Sub(r.last) >= r.every:
		r.last = now
		fmt.Fprintln(r.w, r.line())
	}
}

// line is upstream's progress line.
func (r *Reporter) line() string {
	pct := 0.0
	if r.approx > 0 {
		pct = 100 * float64(r.migrated+r.skipped) / float64(r.approx)
	}
	return fmt.Sprintf("%s %s: %d (%d skipped) /~%d (~%.1f%%)", r.verb, r.entity, r.migrated, r.skipped, r.approx, pct)
}

func (r *Reporter) drawBar() {
	const width = 30
	done := r.migrated + r.skipped
	filled := 0
	if r.approx > 0 {
		filled = int(min(float64(width), float64(width)*float64(done)/float64(r.approx)))
	}
	fmt.Fprintf(r.w, "\r\x1b[2K%s %s [%s%s] %d (%d skipped) /~%d", r.verb, r.entity,
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), r.migrated, r.skipped, r.approx)
}

// Done ends a stage with its summary line: how many rows, how many
// skipped and why, and how long it took.
func (r *Reporter) Done(s StageSummary) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.terminal {
		fmt.Fprint(r.w, "\r\x1b[2K")
	}
	fmt.Fprintln(r.w, SummaryLine(s, r.nouns, strings.TrimSuffix(r.verb, "ing")+"ed"))
}

// Step reports a step between the stages (index rebuilds).
func (r *Reporter) Step(step string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.terminal {
		fmt.Fprintf(r.w, "\r\x1b[2K%s", step)
		return
	}
	fmt.Fprintln(r.w, step)
}

// SummaryLine is a stage's summary, e.g. "12 users migrated (2 skipped: 1
// application service user, 1 unknown user) in 0.3s"; done is the verb
// ("migrated").
func SummaryLine(s StageSummary, nouns map[string]string, done string) string {
	noun := nouns[s.Entity]
	if noun == "" {
		noun = s.Entity
	}
	skipped := fmt.Sprintf("%d skipped", s.SkippedTotal())
	if len(s.Skipped) > 0 {
		reasons := make([]string, 0, len(s.Skipped))
		for reason := range s.Skipped {
			reasons = append(reasons, reason)
		}
		sort.Strings(reasons)
		parts := make([]string, len(reasons))
		for i, reason := range reasons {
			parts[i] = fmt.Sprintf("%d %s", s.Skipped[reason], reason)
		}
		skipped += ": " + strings.Join(parts, ", ")
	}
	return fmt.Sprintf("%d %s %s (%s) in %.1fs", s.Migrated, noun, done, skipped, s.Duration.Seconds())
}
