package jobs

import (
	"context"
	"log/slog"

	"github.com/riverqueue/river"

	"mas/internal/clock"
	"mas/internal/domain"
	"mas/internal/homeserver"
	"mas/internal/store"
)

// Deps are what the job workers act on.
type Deps struct {
	Store      store.Store
	Homeserver homeserver.Connection
	Clock      clock.Clock
	Logger     *slog.Logger
}

// Workers registers a worker for every job kind.
func Workers(d Deps) *river.Workers {
	// The workers log on success and stamp deactivations; a missing logger
	// or clock would otherwise panic only once a job succeeds.
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	w := river.NewWorkers()
	river.AddWorker(w, &provisionUserWorker{d: d})
	river.AddWorker(w, &syncDevicesWorker{d: d})
	river.AddWorker(w, &deactivateUserWorker{d: d})
	river.AddWorker(w, &reactivateUserWorker{d: d})
	river.AddWorker(w, &prunePolicyDataWorker{d: d})
	river.AddWorker(w, &cleanupClientAssertionsWorker{d: d})
	river.AddWorker(w, &cleanupPendingDevicesWorker{d: d})
	return w
}

// DefaultSchedules are the recurring jobs every deployment runs.
func DefaultSchedules() []Schedule {
	return []Schedule{
		{Name: "prune-stale-policy-data", Spec: "0 0 2 * * *", Job: func() domain.Job { return domain.PruneStalePolicyDataJob{} }},
		{Name: "cleanup-client-assertions", Spec: "0 50 * * * *", Job: func() domain.Job { return domain.CleanupClientAssertionsJob{} }},
		{Name: "cleanup-pending-devices", Spec: "0 40 * * * *", Job: func() domain.Job { return domain.CleanupPendingDevicesJob{} }},
	}
}

// policyDataKept is how many versions of the dynamic policy data survive
// pruning: enough to roll back a mistake, small enough to stay tidy.
const policyDataKept = 10

type prunePolicyDataWorker struct {
	river.WorkerDefaults[domain.PruneStalePolicyDataJob]
	d Deps
}

func (w *prunePolicyDataWorker) Work(ctx context.Context, _ *river.Job[domain.PruneStalePolicyDataJob]) error {
	n, err := w.d.Store.PolicyData().Prune(ctx, policyDataKept)
	if err != nil {
		return err
	}
	if n > 0 {
		w.d.Logger.Info("pruned stale policy data", "deleted", n)
	}
	return nil
}

type cleanupClientAssertionsWorker struct {
	river.WorkerDefaults[domain.CleanupClientAssertionsJob]
	d Deps
}

func (w *cleanupClientAssertionsWorker) Work(ctx context.Context, _ *river.Job[domain.CleanupClientAssertionsJob]) error {
	n, err := w.d.Store.ClientAssertions().DeleteExpired(ctx, w.d.Clock.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		w.d.Logger.Info("forgot expired client assertions", "deleted", n)
	}
	return nil
}

type cleanupPendingDevicesWorker struct {
	river.WorkerDefaults[domain.CleanupPendingDevicesJob]
	d Deps
}

func (w *cleanupPendingDevicesWorker) Work(ctx context.Context, _ *river.Job[domain.CleanupPendingDevicesJob]) error {
	n, err := w.d.Store.PendingDevices().DeleteExpired(ctx, w.d.Clock.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		w.d.Logger.Info("forgot expired pending devices", "deleted", n)
	}
	return nil
}
