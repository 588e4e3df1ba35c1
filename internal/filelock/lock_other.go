//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package filelock

import "os"

// lockFile is a no-op where the platform has no advisory file lock the
// module uses (e.g. Solaris, AIX, Plan 9, WebAssembly): the lock file still
// names its owner, and the lock is shared within the process only.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) error { return nil }
