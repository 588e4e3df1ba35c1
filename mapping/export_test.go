package mapping

import "os"

// SetBeforeRename installs a hook that FileStore.Save runs after writing and
// syncing its temporary file and before renaming it; an error aborts the save
// as a crash would.
func SetBeforeRename(s *FileStore, hook func(tmp *os.File) error) { s.beforeRename = hook }
