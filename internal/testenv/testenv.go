// Package testenv decides what a test does when a real component it needs
// (a PostgreSQL server, a Chromium binary) is missing: outside CI it skips
// with a message naming what is missing; in CI (KT_CI set, as .ci/run does)
// it fails, so that a broken CI set-up can never pass by skipping.
package testenv

import (
	"os"
	"testing"
)

// InCI reports whether the tests run under .ci/run, which sets KT_CI.
func InCI() bool { return os.Getenv("KT_CI") != "" }

// Missing ends the test because the component named by what is missing:
// t.Fatalf in CI, t.Skipf elsewhere. why says how to provide it.
func Missing(t testing.TB, what, why string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s is missing (%s); KT_CI is set, so this test must not skip", what, why)
	}
	t.Skipf("skipping: %s is missing (%s)", what, why)
}
