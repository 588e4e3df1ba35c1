package service

import (
	"context"
	"testing"
	"time"
)

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alwaysLeading are stores without a lease: this replica always leads.
func alwaysLeading() *stores {
	return &stores{lead: func(context.Context) error { return nil },
		hold: func(ctx context.Context) (context.Context, context.CancelFunc) { return context.WithCancel(ctx) }, close: func() {}}
}
