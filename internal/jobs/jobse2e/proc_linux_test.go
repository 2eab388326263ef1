package jobse2e

import (
	"os/exec"
	"runtime"
	"syscall"
)

// startChild starts cmd so that the kernel kills it if the test process
// dies without running its cleanups (a panic, a `go test -timeout`).
// Pdeathsig fires when the starting OS thread exits, so the start happens
// on a locked thread that is then returned to the runtime, which keeps it.
func startChild(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return cmd.Start()
}
