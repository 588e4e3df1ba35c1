package postgres

import (
	"errors"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/history"
	"github.com/mspkit/kaspersky-tigerpaw/history/historytest"
)

func TestHistoryStoreConformance(t *testing.T) {
	t.Parallel()
	var db *DB
	historytest.Run(t, func(t *testing.T) history.Store {
		if db == nil {
			db = openTest(t)
		}
		return db.History("h", nil) // a new store over the same table: a restart
	})
}

func TestDecisionStore(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	f, err := db.Acquire(ctx, "daemon", "a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	s := db.Decisions("d", f)
	at := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	for _, d := range []billing.Decision{{Key: "k1", Agreement: 1, Approved: true, At: at}, {Key: "k2", Agreement: 2, At: at}, {Key: "k1", Agreement: 1, At: at}} {
		if err := s.Decide(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.Decisions("d", nil).Decisions(ctx)
	if err != nil || len(got) != 2 || got["k1"].Approved || got["k2"].Agreement != 2 || !got["k2"].At.Equal(at) {
		t.Fatalf("decisions = %+v, %v; want k1 rejected (the later decision) and k2", got, err)
	}
	if other, _ := db.Decisions("other", nil).Decisions(ctx); len(other) != 0 {
		t.Errorf("another store's decisions: %v", other)
	}
	if err := s.Forget(ctx, []string{"k1", "nope"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Decisions(ctx); len(got) != 1 || got["k2"].Key != "k2" {
		t.Errorf("after forgetting k1: %+v", got)
	}

	// A replica whose lease was taken over writes nothing.
	if _, err := db.pool.Exec(ctx, `UPDATE leases SET expires = now() WHERE name = 'daemon'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Acquire(ctx, "daemon", "b", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Decide(ctx, billing.Decision{Key: "k3", Approved: true}); !errors.Is(err, ErrFenced) {
		t.Errorf("decide with a stale fence: %v, want ErrFenced", err)
	}
	if err := s.Forget(ctx, []string{"k2"}); !errors.Is(err, ErrFenced) {
		t.Errorf("forget with a stale fence: %v, want ErrFenced", err)
	}
	h := db.History("h", f)
	if err := h.Record(ctx, []history.Snapshot{{TenantID: "t", Day: "2026-05-01"}}); !errors.Is(err, ErrFenced) {
		t.Errorf("history with a stale fence: %v, want ErrFenced", err)
	}
	if _, err := h.Prune(ctx, at); !errors.Is(err, ErrFenced) {
		t.Errorf("prune with a stale fence: %v, want ErrFenced", err)
	}
	if got, _ := s.Decisions(ctx); len(got) != 1 {
		t.Errorf("fenced writes changed the decisions: %+v", got)
	}
}
