package synapsetest

import (
	"os/exec"
	"syscall"
)

// procAttr puts Synapse in a process group of its own, so that stopping it
// reaches every process it started, and has the kernel kill it if the test
// binary dies without stopping it (a crash, a timeout panic, SIGKILL).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	if cmd == nil || cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, sig)
}
