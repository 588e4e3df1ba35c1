//go:build windows

package winsvc

func notWindows() bool { return false }
