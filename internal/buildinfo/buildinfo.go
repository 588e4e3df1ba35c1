// Package buildinfo describes the running binary from the information the Go
// toolchain records in it: the main module's version, the commit it was
// built from (a build in a git checkout records it unless -buildvcs=false)
// and the Go version.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Info is what the binary says of its build.
type Info struct {
	Version  string // the main module's version: a tag, a pseudo-version, or "(devel)"
	Commit   string // vcs.revision, or "unknown"
	Time     string // vcs.time, the commit's time, or ""
	Modified bool   // vcs.modified: the checkout had uncommitted changes
	Go       string // the Go version that built it
	Platform string // GOOS/GOARCH
}

// Read reads the running binary's build information.
func Read() Info {
	info := Info{Version: "unknown", Commit: "unknown", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	return fromBuildInfo(bi, info)
}

func fromBuildInfo(bi *debug.BuildInfo, info Info) Info {
	if bi.Main.Version != "" {
		info.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		info.Go = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// String is the line -version prints, after the program's name.
func (i Info) String() string {
	commit := i.Commit
	if i.Time != "" {
		commit += " " + i.Time
	}
	if i.Modified {
		commit += " (modified)"
	}
	return fmt.Sprintf("%s commit %s %s %s", i.Version, commit, i.Go, i.Platform)
}
