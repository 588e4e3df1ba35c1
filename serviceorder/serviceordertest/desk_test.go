package serviceordertest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	sot "github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

func TestDeskSemantics(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	d := sot.NewDesk()
	a, err := d.Create(ctx, serviceorder.NewOrder{Reference: "KTS-ABC", Status: "New"})
	if err != nil || a != 1001 {
		t.Fatalf("Create = %d, %v", a, err)
	}
	b := d.Add(serviceorder.NewOrder{Reference: "kts-abcdef"})
	d.Add(serviceorder.NewOrder{Reference: "KTS-AB"})

	found, err := d.FindByReference(ctx, "KTS-ABC")
	if err != nil || len(found) != 2 || found[0].Number != b || found[1].Number != a {
		t.Fatalf("prefix, case-insensitive search: %+v, %v", found, err)
	}

	d.SetLocked(a, true)
	if got, _ := d.Get(ctx, a); !got.Locked {
		t.Fatal("Get does not report the lock")
	}
	if err := d.Close(ctx, a, serviceorder.CloseRequest{Status: "Closed"}); !errors.Is(err, serviceorder.ErrLocked) {
		t.Fatalf("Close of a locked order: %v", err)
	}
	d.SetLocked(a, false)
	if err := d.Close(ctx, a, serviceorder.CloseRequest{Status: "Closed", WorkPerformed: "done"}); err != nil {
		t.Fatal(err)
	}
	if o, _ := d.Order(a); !o.Closed || o.Status != "Closed" || o.WorkPerformed != "done" {
		t.Fatalf("closed order: %+v", o)
	}
	if len(d.Open()) != 2 || len(d.Orders()) != 3 {
		t.Fatalf("open %d, all %d", len(d.Open()), len(d.Orders()))
	}
	if _, err := d.Get(ctx, 9); !errors.Is(err, serviceorder.ErrNotFound) {
		t.Fatalf("Get of a missing order: %v", err)
	}
	if err := d.Close(ctx, 9, serviceorder.CloseRequest{}); !errors.Is(err, serviceorder.ErrNotFound) {
		t.Fatalf("Close of a missing order: %v", err)
	}
	if _, ok := d.Order(9); ok {
		t.Fatal("Order(9) found a missing order")
	}
	d.CloseByHand(b, "Done")
	if o, _ := d.Order(b); !o.Closed || o.Status != "Done" {
		t.Fatalf("closed by hand: %+v", o)
	}
}

func TestDeskFaults(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	d := sot.NewDesk()
	boom := errors.New("boom")
	d.Inject(sot.OpCreate, sot.Fault{}, sot.Fault{Applied: true, Err: boom})
	if _, err := d.Create(ctx, serviceorder.NewOrder{Reference: "A"}); !errors.Is(err, sot.ErrInjected) || len(d.Orders()) != 0 {
		t.Fatalf("refused create: %v, %d orders", err, len(d.Orders()))
	}
	if _, err := d.Create(ctx, serviceorder.NewOrder{Reference: "A"}); !errors.Is(err, boom) || len(d.Orders()) != 1 {
		t.Fatalf("applied-then-dropped create: %v, %d orders", err, len(d.Orders()))
	}
	if n, err := d.Create(ctx, serviceorder.NewOrder{Reference: "B"}); err != nil || n == 0 {
		t.Fatalf("create after the faults: %d, %v", n, err)
	}
	if d.Calls(sot.OpCreate) != 3 {
		t.Fatalf("calls = %d", d.Calls(sot.OpCreate))
	}
	d.Inject(sot.OpFind, sot.Fault{})
	d.Inject(sot.OpGet, sot.Fault{})
	d.Inject(sot.OpClose, sot.Fault{}, sot.Fault{Applied: true})
	if _, err := d.FindByReference(ctx, "A"); !errors.Is(err, sot.ErrInjected) {
		t.Fatalf("find fault: %v", err)
	}
	if _, err := d.Get(ctx, 1001); !errors.Is(err, sot.ErrInjected) {
		t.Fatalf("get fault: %v", err)
	}
	if err := d.Close(ctx, 1001, serviceorder.CloseRequest{Status: "Closed"}); !errors.Is(err, sot.ErrInjected) {
		t.Fatalf("close fault: %v", err)
	}
	if o, _ := d.Order(1001); o.Closed {
		t.Fatal("a refused close was applied")
	}
	if err := d.Close(ctx, 1001, serviceorder.CloseRequest{Status: "Closed"}); !errors.Is(err, sot.ErrInjected) {
		t.Fatalf("applied close fault: %v", err)
	}
	if o, _ := d.Order(1001); !o.Closed {
		t.Fatal("an applied-then-dropped close was not applied")
	}
	for _, op := range []sot.Op{sot.OpCreate, sot.OpFind, sot.OpGet, sot.OpClose, 0} {
		if op.String() == "" {
			t.Errorf("Op(%d) has no name", int(op))
		}
	}
}

func TestDeskHonoursContext(t *testing.T) {
	t.Parallel()
	d := sot.NewDesk()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := d.Create(ctx, serviceorder.NewOrder{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Create: %v", err)
	}
	if _, err := d.FindByReference(ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("FindByReference: %v", err)
	}
	if _, err := d.Get(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get: %v", err)
	}
	if err := d.Close(ctx, 1, serviceorder.CloseRequest{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close: %v", err)
	}
	if len(d.Orders()) != 0 {
		t.Fatal("a canceled Create stored an order")
	}
}

func TestClockAndFixtures(t *testing.T) {
	t.Parallel()
	r := sot.Rules()
	if err := r.ValidateWith(t.Context(), sot.Lookups()); err != nil {
		t.Fatalf("fixture rules are invalid: %v", err)
	}
	dev := sot.Device("t", "1", 1, "databases-outdated", "future-code")
	if len(dev.Descriptions) != 2 || dev.Descriptions[0].Text != "Databases are out of date" || dev.Descriptions[1].Text != "future-code" {
		t.Fatalf("Device: %+v", dev)
	}
}

// An order locked with a holder reports it on Get and in the refusal of a
// close or reopen; unlocked, it has none.
func TestDeskLockBy(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	d := sot.NewDesk()
	n := d.Add(serviceorder.NewOrder{Reference: "KTS-L", Status: "New"})
	d.LockBy(n, "Jane Tech")
	if o, err := d.Get(ctx, n); err != nil || !o.Locked || o.LockedBy != "Jane Tech" {
		t.Fatalf("Get = %+v, %v", o, err)
	}
	for name, err := range map[string]error{
		"close":  d.Close(ctx, n, serviceorder.CloseRequest{Status: "Closed"}),
		"reopen": d.Reopen(ctx, n, serviceorder.ReopenRequest{Status: "New"}),
	} {
		var le *serviceorder.LockedError
		if !errors.Is(err, serviceorder.ErrLocked) || !errors.As(err, &le) || le.LockedBy != "Jane Tech" || le.Number != n {
			t.Errorf("%s = %v, want a LockedError by Jane Tech", name, err)
		}
	}
	d.SetLocked(n, false)
	if o, _ := d.Get(ctx, n); o.Locked || o.LockedBy != "" {
		t.Fatalf("after unlock: %+v", o)
	}
	d.SetLocked(n, true)
	var le *serviceorder.LockedError
	if err := d.Close(ctx, n, serviceorder.CloseRequest{Status: "Closed"}); !errors.Is(err, serviceorder.ErrLocked) || errors.As(err, &le) {
		t.Errorf("close of an order locked without a holder = %v", err)
	}
}
