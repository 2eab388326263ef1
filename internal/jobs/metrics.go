package jobs

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// pendingStates are the queue states counted by QueueDepth: the jobs still
// to run. Finished jobs are kept for 30 days and are not counted, which
// keeps the query on river's (state, ...) index.
var pendingStates = []string{"available", "scheduled", "retryable", "running"}

// queueDepthTTL is how long one count serves scrapes: scrapers and
// dashboards cannot turn into a query per request on the database.
const queueDepthTTL = 10 * time.Second

// QueueDepth is a Prometheus collector of the number of pending jobs by
// state. It counts on scrape, at most once per queueDepthTTL; a failed
// count (database down) reports nothing rather than stale numbers.
type QueueDepth struct {
	db   *sql.DB
	desc *prometheus.Desc
	now  func() time.Time

	mu     sync.Mutex
	at     time.Time
	counts map[string]float64
}

// NewQueueDepth counts the jobs of the queue in db.
func NewQueueDepth(db *sql.DB) *QueueDepth {
	return &QueueDepth{
		db: db,
		desc: prometheus.NewDesc("jobs_queue_depth",
			"Jobs waiting or running in the queue, by state (counted at most every 10s).",
			[]string{"state"}, nil),
		now: time.Now,
	}
}

func (q *QueueDepth) Describe(ch chan<- *prometheus.Desc) { ch <- q.desc }

func (q *QueueDepth) Collect(ch chan<- prometheus.Metric) {
	counts := q.current()
	if counts == nil {
		return
	}
	for _, state := range pendingStates {
		ch <- prometheus.MustNewConstMetric(q.desc, prometheus.GaugeValue, counts[state], state)
	}
}

// current returns the cached counts, refreshing them when stale. The lock
// is held across the query so that concurrent scrapes share one count.
func (q *QueueDepth) current() map[string]float64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.counts != nil && q.now().Sub(q.at) < queueDepthTTL {
		return q.counts
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := countPending(ctx, q.db)
	if err != nil {
		q.counts = nil
		return nil
	}
	q.counts, q.at = counts, q.now()
	return counts
}

func countPending(ctx context.Context, db *sql.DB) (map[string]float64, error) {
	rows, err := db.QueryContext(ctx, `SELECT state, count(*) FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable', 'running') GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := map[string]float64{}
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return nil, err
		}
		counts[state] = float64(n)
	}
	return counts, rows.Err()
}

// CountOutcomes counts every job run this runner finishes, by job kind and
// outcome: completed, retry (failed, will run again), discarded (failed
// its last attempt), cancelled or snoozed. It reads river's events until
// the runner stops; call it before Start.
func (r *Runner) CountOutcomes(reg prometheus.Registerer) error {
	finished := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jobs_finished_total",
		Help: "Job runs finished by this process, by job kind and outcome (completed, retry, discarded, cancelled, snoozed).",
	}, []string{"kind", "outcome"})
	if err := reg.Register(finished); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return err
		}
		finished = are.ExistingCollector.(*prometheus.CounterVec)
	}
	// A large buffer: river drops events a slow reader cannot take, and
	// counting is all this reader does.
	events, _ := r.client.SubscribeConfig(&river.SubscribeConfig{
		ChanSize: 10_000,
		Kinds: []river.EventKind{river.EventKindJobCompleted, river.EventKindJobFailed,
			river.EventKindJobCancelled, river.EventKindJobSnoozed},
	})
	go func() {
		// The channel closes when the runner stops.
		for ev := range events {
			if ev.Job != nil {
				finished.WithLabelValues(ev.Job.Kind, outcome(ev)).Inc()
			}
		}
	}()
	return nil
}

func outcome(ev *river.Event) string {
	switch ev.Kind {
	case river.EventKindJobCompleted:
		return "completed"
	case river.EventKindJobCancelled:
		return "cancelled"
	case river.EventKindJobSnoozed:
		return "snoozed"
	}
	if ev.Job.State == rivertype.JobStateDiscarded {
		return "discarded"
	}
	return "retry"
}
