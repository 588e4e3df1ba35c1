package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "example.com/m", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "3fbaa00deadbeef"},
			{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"}}}
	got := fromBuildInfo(bi, Info{Version: "unknown", Commit: "unknown", Platform: "linux/amd64"}).String()
	want := "v1.4.0 commit 3fbaa00deadbeef 2026-01-02T03:04:05Z (modified) go1.26.8 linux/amd64"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	got = fromBuildInfo(&debug.BuildInfo{}, Info{Version: "unknown", Commit: "unknown", Go: "go1.x", Platform: "p"}).String()
	if got != "unknown commit unknown go1.x p" {
		t.Errorf("without build settings: %q", got)
	}
}

func TestRead(t *testing.T) {
	if s := Read().String(); !strings.Contains(s, " go1.") {
		t.Errorf("Read() = %q: no Go version", s)
	}
}
