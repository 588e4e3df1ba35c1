//go:build !windows

package winsvc

import "io"

func isService() (bool, error) { return false, nil }

func (p Program) command(string, []string, io.Writer) error { return ErrNotWindows }

func (p Program) runService([]string) int { return 2 }
