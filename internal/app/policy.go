package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"mas/internal/config"
	"mas/internal/policy"
	"mas/internal/store"
)

// policyEngine builds the policy from the static `policy.data`, the
// injected server name and session limit, and the newest dynamic data
// stored through the admin API.
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
	latest, err := s.PolicyData().Latest(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return engine, nil
	case err != nil:
		return nil, fmt.Errorf("loading dynamic policy data: %w", err)
	}
	withDynamic, err := engine.WithData(json.RawMessage(latest.Data))
	if err != nil {
		return nil, fmt.Errorf("dynamic policy data %s: %w", latest.ID, err)
	}
	return withDynamic, nil
}
