package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"mas/internal/config"
	"mas/internal/policy"
	"mas/internal/store"
)

// policyEngine builds the policy from the static `policy.data`, the
// injected server name and session limit, and puts the newest dynamic data
// stored through the admin API in effect.
func policyEngine(ctx context.Context, cfg *config.Config, s store.Store) (*policy.Engine, error) {
	base := policy.Base{ServerName: cfg.Matrix.Homeserver}
	if sl := cfg.Experimental.SessionLimit; sl != nil {
		base.SessionLimit = &policy.SessionLimit{
			SoftLimit:                  sl.SoftLimit,
			HardLimit:                  sl.HardLimit,
			MaxSessionThreshold:        sl.MaxSessionThreshold,
			DangerousHardLimitEviction: sl.DangerousHardLimitEviction,
		}
	}
	static, err := json.Marshal(cfg.Policy.Data)
	if err != nil {
		return nil, fmt.Errorf("policy.data: %w", err)
	}
	engine, err := policy.NewWithBase(base, static)
	if err != nil {
		return nil, fmt.Errorf("policy.data: %w", err)
	}
	if err := refreshPolicy(ctx, engine, s); err != nil {
		return nil, err
	}
	return engine, nil
}

// refreshPolicy puts the newest stored dynamic data in effect unless it
// (or a newer version, applied meanwhile by the admin API in this process)
// already is.
func refreshPolicy(ctx context.Context, engine *policy.Engine, s store.Store) error {
	seen := engine.DataVersion()
	latest, err := s.PolicyData().Latest(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("loading dynamic policy data: %w", err)
	case latest.ID.String() == seen:
		return nil
	}
	if _, err := engine.SetData(latest.ID.String(), json.RawMessage(latest.Data)); err != nil {
		return fmt.Errorf("dynamic policy data %s: %w", latest.ID, err)
	}
	return nil
}

// policyRefreshInterval is how often a server re-reads the dynamic policy
// data, so that data posted through another replica takes effect here.
const policyRefreshInterval = 60 * time.Second

// startPolicyRefresh refreshes the engine every interval until stop is
// called; stop waits for a refresh under way.
func (a *App) startPolicyRefresh(engine *policy.Engine, interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := refreshPolicy(ctx, engine, a.Store); err != nil && ctx.Err() == nil {
					a.Logger.Warn("keeping the current policy data", "error", err)
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
