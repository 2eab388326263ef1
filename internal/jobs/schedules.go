package jobs

import (
	"fmt"

	"github.com/riverqueue/river"
	"github.com/robfig/cron/v3"

	"mas/internal/domain"
	"mas/internal/store"
)

// Schedule is a recurring job: Spec is a cron expression with a seconds
// field (as upstream writes them, e.g. "0 0 2 * * *" for 02:00 daily).
type Schedule struct {
	Name string
	Spec string
	Job  func() domain.Job
}

var cronParser = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

func periodicJobs(schedules []Schedule) ([]*river.PeriodicJob, error) {
	out := make([]*river.PeriodicJob, 0, len(schedules))
	for _, s := range schedules {
		sched, err := cronParser.Parse(s.Spec)
		if err != nil {
			return nil, fmt.Errorf("jobs: schedule %s: bad cron spec %q: %w", s.Name, s.Spec, err)
		}
		job := s.Job
		out = append(out, river.NewPeriodicJob(sched, func() (river.JobArgs, *river.InsertOpts) {
			return job(), &river.InsertOpts{MaxAttempts: store.MaxJobAttempts}
		}, &river.PeriodicJobOpts{ID: s.Name}))
	}
	return out, nil
}
