//go:build !linux

package oidctest

import "syscall"

// procAttr adds nothing: the provider exits when its stdin closes.
func procAttr() *syscall.SysProcAttr { return nil }
