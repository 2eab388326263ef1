package synapsetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// The migration from Synapse's own logins to this service, as an operator
// runs it: stop Synapse (Halt), edit its configuration if needed
// (EditConfig), migrate its database (syn2mas, reading ConfigPath and
// DatabaseURI), then start it delegating to the service (Restart).

func (s *Synapse) currentMode() Mode { return Mode(s.mode.Load()) }

// ConfigPath is the instance's homeserver.yaml, as syn2mas reads it
// (--synapse-config). It describes the running mode: Restart rewrites it.
func (s *Synapse) ConfigPath() string { return filepath.Join(s.dir, "homeserver.yaml") }

// DatabaseURI is Synapse's database: its PostgreSQL URL, or the path of
// its SQLite file.
func (s *Synapse) DatabaseURI() string {
	if s.databaseURL != "" {
		return s.databaseURL
	}
	return filepath.Join(s.dir, "homeserver.db")
}

// Halt stops the Synapse process (SIGTERM, then SIGKILL) and keeps
// everything else: its database, its folder (configuration, media store,
// signing key) and the fronts, for Restart. Stop, or the end of the test,
// still removes them. Halting a halted instance does nothing.
func (s *Synapse) Halt() error {
	if s.cmd == nil || s.exited == nil {
		return nil
	}
	var err error
	_ = signalGroup(s.cmd, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		s.kill()
		err = fmt.Errorf("Synapse ignored SIGTERM for %v and was killed", stopTimeout)
	}
	s.cmd = nil
	return err
}

// Restart starts a halted instance again, in mode, on the same database,
// media store and signing key, behind the same ClientURL; a new
// homeserver.yaml is written for the mode (a Legacy instance restarted
// Delegated loses its password_config, pepper and guest access, and gains
// the matrix_authentication_service section and AuthURL, as an operator's
// switch to this service does). Synapse listens on a new port: a service
// attached afterwards must read URL then.
func (s *Synapse) Restart(mode Mode) error {
	if s.cmd != nil {
		return errors.New("synapsetest: Restart needs a halted instance (Halt)")
	}
	python, err := pythonPath()
	if err != nil {
		return err
	}
	s.mode.Store(int32(mode))
	s.opts.Mode = mode
	if mode == Delegated && s.authFront == nil {
		s.authFront = newFront(s.authHandler())
	}
	if err := s.run(python); err != nil {
		return fmt.Errorf("restarting %s: %w", s.opts, err)
	}
	return nil
}

// EditConfig changes homeserver.yaml in place, as an operator edits it
// before a migration (turning guest access off, say). A running Synapse
// does not see the change, and Restart writes the file anew.
func (s *Synapse) EditConfig(edit func(cfg map[string]any)) error {
	b, err := os.ReadFile(s.ConfigPath())
	if err != nil {
		return err
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		return fmt.Errorf("synapsetest: %s: %w", s.ConfigPath(), err)
	}
	edit(cfg)
	if b, err = json.MarshalIndent(cfg, "", "  "); err != nil {
		return err
	}
	return os.WriteFile(s.ConfigPath(), b, 0o600)
}
