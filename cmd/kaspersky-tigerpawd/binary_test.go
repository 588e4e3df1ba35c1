package main

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// daemonBinary builds the daemon into a temporary directory of t and returns
// its path (the build cache makes every build after the first quick).
func daemonBinary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kaspersky-tigerpawd")
	if out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput(); err != nil {
		t.Fatalf("building the daemon: %v\n%s", err, out)
	}
	return path
}
