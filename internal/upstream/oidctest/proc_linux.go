package oidctest

import "syscall"

// procAttr has the kernel kill the provider if the test binary dies
// without closing its stdin first.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
