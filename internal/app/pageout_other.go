//go:build !linux

package app

// releaseStartupPages is Linux-only; elsewhere the kernel keeps the pages.
func releaseStartupPages() (int64, error) { return 0, nil }
