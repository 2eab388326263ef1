//go:build !linux

package jobse2e

import "os/exec"

// startChild starts cmd; outside Linux only the test's cleanups kill it.
func startChild(cmd *exec.Cmd) error { return cmd.Start() }
