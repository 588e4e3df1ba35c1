package kasperskytigerpaw

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/internal/testenv"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/store/postgres"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// TestTwoReplicasOnePostgresNoDuplicate: two service order façades share one
// PostgreSQL schema and the fakes; each cycle both try the lease in turn, and
// every fourth cycle the leader is killed mid-cycle (its context cancelled
// while Tigerpaw applies a create, its lease abandoned, not released). Over the
// cycles Tigerpaw must hold exactly one order per reference key.
func TestTwoReplicasOnePostgresNoDuplicate(t *testing.T) {
	t.Parallel()
	dsn := os.Getenv("KT_POSTGRES_DSN")
	if dsn == "" {
		testenv.Missing(t, "PostgreSQL (KT_POSTGRES_DSN)", "source .ci/services/postgres.sh or set KT_POSTGRES_DSN")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	db, err := postgres.Open(t.Context(), postgres.Options{DSN: dsn, Schema: "kt_replicas_" + hex.EncodeToString(b)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)

	w := newSOWorld(t)
	const ttl = 300 * time.Millisecond
	const cycles = 24
	names := []string{"replica-a", "replica-b"}
	fences := map[string]*postgres.Fence{}
	var ran, takeovers, kills, refused int
	var lastToken int64
	for i := range cycles {
		for j := range names {
			name := names[(i+j)%2]
			f, err := db.Acquire(t.Context(), "daemon", name, ttl)
			if errors.Is(err, postgres.ErrLeaseHeld) {
				continue
			}
			if err != nil {
				t.Fatalf("cycle %d: %s acquires: %v", i, name, err)
			}
			fences[name] = f
			if f.Token() != lastToken {
				if lastToken != 0 {
					takeovers++
				}
				lastToken = f.Token()
			}
			desk, err := NewDesk(w.srv.Client(t, tigerpaw.WithClock(w.clock)))
			if err != nil {
				t.Fatal(err)
			}
			runner, err := serviceorder.NewRunner(desk, db.ServiceOrders("main", f), serviceorder.WithClock(w.clock))
			if err != nil {
				t.Fatal(err)
			}
			job := &ServiceOrderJob{Source: w.src, Runner: runner, Now: w.clock}
			ctx, cancel := context.WithCancel(t.Context())
			kill := i%4 == 0
			if kill {
				// Kill the leader once Tigerpaw applied the next create or
				// close, before the answer and before the store write.
				before := len(w.orders())
				w.srv.FailNext("POST", "/api/ServiceOrders", 1, tigerpawtest.Fault{Delay: time.Minute, AfterApply: true})
				go func() {
					deadline := time.Now().Add(2 * time.Second)
					for len(w.orders()) == before && time.Now().Before(deadline) {
						time.Sleep(time.Millisecond)
					}
					cancel()
				}()
			}
			_, _ = job.Run(ctx, w.cfg, w.rules)
			cancel()
			ran++
			if kill {
				kills++
				// The killed replica never renews; its lease runs out.
				time.Sleep(ttl + 50*time.Millisecond)
				// A paused old leader waking up cannot write once another took over.
				other := names[(i+j+1)%2]
				nf, err := db.Acquire(t.Context(), "daemon", other, ttl)
				if err != nil {
					t.Fatalf("cycle %d: %s takes over: %v", i, other, err)
				}
				fences[other] = nf
				err = db.ServiceOrders("main", f).Apply(t.Context(), serviceorder.Change{TenantReads: map[string]time.Time{"vs-1": w.clock()}})
				if !errors.Is(err, postgres.ErrFenced) {
					t.Fatalf("cycle %d: the killed leader's write: err = %v, want ErrFenced", i, err)
				}
				refused++
			}
			break
		}
		w.advance(time.Minute)
		// Alternate the device: on for three cycles, then cleared, so orders
		// are opened and closed across takeovers.
		if i%4 == 2 {
			w.setDevice(kaspersky.StatusOK)
		} else if i%4 == 3 {
			w.setDevice(kaspersky.StatusWarning, kaspersky.StatusDatabasesOutdated)
		}
	}
	open := map[string]int{}
	for _, o := range w.orders() {
		if o.Status != "Closed" {
			open[o.Reference]++
		}
	}
	dups := 0
	for ref, n := range open {
		if n > 1 {
			dups += n - 1
			t.Errorf("reference %q: %d open orders, want 1", ref, n)
		}
	}
	// The device went bad cycles/4 times and was cleared after each: one
	// order each time, all closed by the end.
	if got, want := len(w.orders()), cycles/4; got != want {
		t.Errorf("orders created = %d, want %d (one per time the status held)", got, want)
	}
	if len(open) != 0 {
		t.Errorf("open orders at the end = %v, want none (the status was cleared)", open)
	}
	t.Logf("cycles run %d, takeovers %d, kills %d, stale writes refused %d, orders %d, open duplicates %d", ran, takeovers, kills, refused, len(w.orders()), dups)
	if ran < 20 {
		t.Fatalf("cycles run = %d, want at least 20", ran)
	}
}
