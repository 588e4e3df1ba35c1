package tigerpaw_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

func TestServiceOrderCreateGetClose(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	ctx := t.Context()
	so := c.ServiceOrders

	opened := time.Date(2024, 4, 1, 8, 30, 0, 0, time.UTC)
	req := newOrder("ksc:1:host:7")
	req.DateTimeOpened = &tigerpaw.WrappedDateTime{DateTime: tigerpaw.DateTime{Time: opened}}
	created, err := so.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := so.Get(ctx, created.ServiceOrderNumber)
	if err != nil {
		t.Fatal(err)
	}
	want := &tigerpaw.ServiceOrderSummary{
		ServiceOrderNumber: created.ServiceOrderNumber,
		ServiceOrder: tigerpaw.ServiceOrder{
			AccountNumber: 1001, Status: "New", Priority: "High", ServiceOrderType: "Security", DispatchBoardNumber: 3,
			TechnicianAssigned: 7, BriefDescription: "Protection is off", WorkRequested: "Turn protection on",
			Reference: "ksc:1:host:7", DateTimeOpened: tigerpaw.DateTime{Time: opened},
		},
		AccountName: "Contoso Ltd", PrimaryTechnicianName: "Dana Tech",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, created); diff != "" {
		t.Errorf("Create answer (-want +got):\n%s", diff)
	}
	if got.Locked() {
		t.Error("a new order is locked")
	}

	closedAt := time.Date(2024, 4, 2, 9, 0, 0, 0, time.UTC)
	closed, err := so.Close(ctx, created.ServiceOrderNumber, tigerpaw.CloseServiceOrder{
		Status: "Closed", WorkPerformed: "Turned on", CompleteOpenTasks: true, ClosedAt: closedAt,
	})
	if err != nil {
		t.Fatal(err)
	}
	if closed.ServiceOrder.Status != "Closed" || !closed.ServiceOrder.DateTimeClosed.Equal(closedAt) || closed.ServiceOrder.WorkPerformed != "Turned on" {
		t.Errorf("closed order = %+v", closed.ServiceOrder)
	}
	snap, _ := srv.ServiceOrder(created.ServiceOrderNumber)
	if snap.Status != "Closed" || !snap.Closed.Equal(closedAt) || snap.OpenTasks != 0 {
		t.Errorf("server state after close = %+v", snap)
	}
}

func TestServiceOrderCreateRefusedAndInvalid(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	ctx := t.Context()
	refused := map[string]tigerpaw.NewServiceOrder{}
	o := newOrder("a")
	o.Status = "Nonexistent"
	refused["unknown status"] = o
	o = newOrder("b")
	o.AccountNumber = 4242
	refused["unknown account"] = o
	o = newOrder("c")
	o.TechnicianAssigned = 99
	refused["unknown rep"] = o
	o = newOrder(strings.Repeat("r", tigerpawtest.MaxReferenceLength+1))
	refused["reference too long"] = o
	o = newOrder("d")
	o.DispatchBoardNumber = 12
	refused["unknown board"] = o
	for name, o := range refused {
		_, err := c.ServiceOrders.Create(ctx, o)
		var ae *tigerpaw.APIError
		if !errors.As(err, &ae) || ae.StatusCode != 200 || ae.Message == "" {
			t.Errorf("%s: err = %v, want a Success:false refusal", name, err)
		}
	}
	if n := len(srv.Snapshot().ServiceOrders); n != 0 {
		t.Errorf("%d refused orders were stored", n)
	}

	before := srv.Count("*", "*")
	invalid := map[string]tigerpaw.NewServiceOrder{}
	o = newOrder("x")
	o.AccountNumber = 0
	invalid["no account"] = o
	o = newOrder("x")
	o.Status = ""
	invalid["no status"] = o
	o = newOrder("x")
	o.Priority = " "
	invalid["no priority"] = o
	o = newOrder("x")
	o.BriefDescription = ""
	invalid["no description"] = o
	for name, o := range invalid {
		if _, err := c.ServiceOrders.Create(ctx, o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	for name, err := range map[string]error{
		"Get(0)":                func() error { _, err := c.ServiceOrders.Get(ctx, 0); return err }(),
		"Update(0)":             func() error { _, err := c.ServiceOrders.Update(ctx, 0, tigerpaw.ServiceOrderUpdate{}); return err }(),
		"Update nothing":        func() error { _, err := c.ServiceOrders.Update(ctx, 1, tigerpaw.ServiceOrderUpdate{}); return err }(),
		"Close without status":  func() error { _, err := c.ServiceOrders.Close(ctx, 1, tigerpaw.CloseServiceOrder{}); return err }(),
		"FindByReference blank": func() error { _, err := c.ServiceOrders.FindByReference(ctx, " "); return err }(),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if srv.Count("*", "*") != before {
		t.Error("invalid input reached the server")
	}
	if _, err := c.ServiceOrders.Get(ctx, 77); !errors.Is(err, tigerpaw.ErrNotFound) {
		t.Errorf("Get(77) = %v, want ErrNotFound", err)
	}
	if _, err := c.ServiceOrders.Close(ctx, 77, tigerpaw.CloseServiceOrder{Status: "Closed"}); !errors.Is(err, tigerpaw.ErrNotFound) {
		t.Errorf("Close(77) = %v, want ErrNotFound", err)
	}
}

func TestServiceOrderUpdate(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	ctx := t.Context()
	created, err := c.ServiceOrders.Create(ctx, newOrder("upd"))
	if err != nil {
		t.Fatal(err)
	}
	low := "Low"
	got, err := c.ServiceOrders.Update(ctx, created.ServiceOrderNumber, tigerpaw.ServiceOrderUpdate{Priority: &low})
	if err != nil {
		t.Fatal(err)
	}
	if got.ServiceOrder.Priority != "Low" || got.ServiceOrder.Status != "New" || got.ServiceOrder.BriefDescription != "Protection is off" {
		t.Errorf("after update = %+v", got.ServiceOrder)
	}
	bogus := "Bogus"
	_, err = c.ServiceOrders.Update(ctx, created.ServiceOrderNumber, tigerpaw.ServiceOrderUpdate{Status: &bogus})
	if err == nil || errors.Is(err, tigerpaw.ErrLocked) {
		t.Errorf("update to an unknown status = %v, want a refusal that is not ErrLocked", err)
	}
	// The refusal made the client look at the order (no lock there).
	if n := srv.Count("GET", "/api/serviceorders/{n}"); n != 1 {
		t.Errorf("GETs after the refusal = %d, want 1", n)
	}
	// A transient failure that outlasts the retries is reported as it is,
	// without a lock check.
	srv.FailNext("PUT", "/api/serviceorders/{n}", 10, tigerpawtest.Fault{Status: 503})
	_, err = c.ServiceOrders.Update(ctx, created.ServiceOrderNumber, tigerpaw.ServiceOrderUpdate{Priority: &low})
	var ae *tigerpaw.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 503 || srv.Count("GET", "/api/serviceorders/{n}") != 1 {
		t.Errorf("err = %v, GETs = %d", err, srv.Count("GET", "/api/serviceorders/{n}"))
	}
}

func TestServiceOrderLocked(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusOK, http.StatusConflict, http.StatusLocked} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			srv := tigerpawtest.NewServer(t, tigerpawtest.WithLockRefusalStatus(status))
			seed(srv)
			c := srv.Client(t)
			ctx := t.Context()
			created, err := c.ServiceOrders.Create(ctx, newOrder("lock"))
			if err != nil {
				t.Fatal(err)
			}
			n := created.ServiceOrderNumber
			srv.LockServiceOrder(n, tigerpawtest.Lock{RepNumber: 7, RepName: "Dana Tech"})

			got, err := c.ServiceOrders.Get(ctx, n)
			if err != nil || !got.Locked() || *got.ServiceOrderLock != (tigerpaw.ServiceOrderLock{LockingRepNumber: 7, LockingRepName: "Dana Tech"}) {
				t.Fatalf("Get of a locked order = %+v, %v", got, err)
			}
			_, err = c.ServiceOrders.Close(ctx, n, tigerpaw.CloseServiceOrder{Status: "Closed"})
			if !errors.Is(err, tigerpaw.ErrLocked) {
				t.Fatalf("Close of a locked order = %v, want ErrLocked", err)
			}
			if so, _ := srv.ServiceOrder(n); so.Status != "New" {
				t.Errorf("a locked order was changed: %+v", so)
			}
			// Locked is not a transient HTTP failure: no retry.
			if c := srv.Count("PUT", "/api/serviceorders/{n}"); c != 1 {
				t.Errorf("PUTs = %d, want 1", c)
			}
			srv.UnlockServiceOrder(n)
			closed, err := c.ServiceOrders.Close(ctx, n, tigerpaw.CloseServiceOrder{Status: "Closed"})
			if err != nil || closed.ServiceOrder.Status != "Closed" || closed.ServiceOrder.DateTimeClosed.IsZero() {
				t.Errorf("Close after unlock = %+v, %v", closed, err)
			}
		})
	}
}

func TestServiceOrderLockSeenOnlyOnTheOrder(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	ctx := t.Context()
	created, err := c.ServiceOrders.Create(ctx, newOrder("lock2"))
	if err != nil {
		t.Fatal(err)
	}
	n := created.ServiceOrderNumber
	// A refusal whose message does not say why; the order shows the lock.
	refusal := tigerpawtest.Fault{Status: http.StatusOK, Body: `{"Success":false,"Message":"The record could not be saved."}`}
	srv.FailNext("PUT", "/api/serviceorders/{id}", 1, refusal)
	srv.LockServiceOrder(n, tigerpawtest.Lock{RepNumber: 8, RepName: "Old Rep"})
	_, err = c.ServiceOrders.Close(ctx, n, tigerpaw.CloseServiceOrder{Status: "Closed"})
	if !errors.Is(err, tigerpaw.ErrLocked) || !strings.Contains(err.Error(), "Old Rep") {
		t.Fatalf("err = %v, want ErrLocked naming the rep", err)
	}
	var le *tigerpaw.LockedError
	if !errors.As(err, &le) || le.Number != n || le.RepNumber != 8 || le.RepName != "Old Rep" {
		t.Errorf("As(*LockedError) = %+v, want order %d locked by rep 8 Old Rep", le, n)
	}
	var ae *tigerpaw.APIError
	if !errors.As(err, &ae) || ae.Message != "The record could not be saved." {
		t.Errorf("the refusal is not kept in the error: %+v", ae)
	}

	// The same refusal on an unlocked order is not ErrLocked.
	srv.UnlockServiceOrder(n)
	srv.FailNext("PUT", "/api/serviceorders/{id}", 1, refusal)
	_, err = c.ServiceOrders.Close(ctx, n, tigerpaw.CloseServiceOrder{Status: "Closed"})
	if err == nil || errors.Is(err, tigerpaw.ErrLocked) {
		t.Errorf("err = %v, want a refusal that is not ErrLocked", err)
	}
}

func TestFindByReference(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, tigerpaw.WithPageSize(2))
	ctx := t.Context()
	for _, ref := range []string{"ksc:1:a", "KSC:1:A", "ksc:1:ab", "ksc:1:a  ", "other"} {
		srv.AddServiceOrder(tigerpawtest.ServiceOrder{AccountNumber: 1001, Status: "New", Priority: "High", Reference: ref})
	}
	got, err := c.ServiceOrders.FindByReference(ctx, "ksc:1:a")
	if err != nil {
		t.Fatal(err)
	}
	var numbers []int
	for _, so := range got {
		numbers = append(numbers, so.ServiceOrderNumber)
	}
	if diff := cmp.Diff([]int{1, 2, 4}, numbers); diff != "" {
		t.Errorf("matches ignoring case and padding, not prefixes (-want +got):\n%s", diff)
	}
	// Four prefix matches in pages of two.
	if n := srv.Count("POST", "/api/serviceorders/search/reference"); n != 2 {
		t.Errorf("pages = %d, want 2", n)
	}
	none, err := c.ServiceOrders.FindByReference(ctx, "ksc:2")
	if err != nil || len(none) != 0 {
		t.Errorf("FindByReference(ksc:2) = %v, %v", none, err)
	}
	srv.FailNext("POST", "/api/serviceorders/search/reference", 1, tigerpawtest.Fault{Status: 500})
	if _, err := c.ServiceOrders.FindByReference(ctx, "ksc"); err == nil {
		t.Error("a failed search gave no error")
	}
}

func TestServiceOrderUpdateAnswerWithoutSummary(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	ctx := t.Context()
	created, err := c.ServiceOrders.Create(ctx, newOrder("thin"))
	if err != nil {
		t.Fatal(err)
	}
	// The update is accepted with a bare envelope: the client reads the order.
	srv.FailNext("PUT", "/api/serviceorders/{n}", 1, tigerpawtest.Fault{Status: 200, Body: `{"Success":true,"Message":""}`, AfterApply: true})
	low := "Low"
	got, err := c.ServiceOrders.Update(ctx, created.ServiceOrderNumber, tigerpaw.ServiceOrderUpdate{Priority: &low})
	if err != nil {
		t.Fatal(err)
	}
	if got.ServiceOrderNumber != created.ServiceOrderNumber || got.ServiceOrder.Priority != "Low" {
		t.Errorf("Update = %+v", got)
	}
	if n := srv.Count("GET", "/api/serviceorders/{n}"); n != 1 {
		t.Errorf("GETs = %d, want 1", n)
	}
	// An answer carrying another order is not taken for this one: the client
	// reads the order it updated.
	srv.FailNext("PUT", "/api/serviceorders/{n}", 1, tigerpawtest.Fault{Status: 200, AfterApply: true,
		Body: `{"Success":true,"ServiceOrderSummary":{"ServiceOrderNumber":999999,"ServiceOrder":{"Priority":"Other"}}}`})
	high := "High"
	got, err = c.ServiceOrders.Update(ctx, created.ServiceOrderNumber, tigerpaw.ServiceOrderUpdate{Priority: &high})
	if err != nil {
		t.Fatal(err)
	}
	if got.ServiceOrderNumber != created.ServiceOrderNumber || got.ServiceOrder.Priority != "High" {
		t.Errorf("Update answered with another order = %d %q, want order %d as read back", got.ServiceOrderNumber, got.ServiceOrder.Priority, created.ServiceOrderNumber)
	}
}

func TestLockWordNotFooledByBlock(t *testing.T) {
	t.Parallel()
	for msg, locked := range map[string]bool{
		"Service order is locked by Jane": true,
		"LOCK held by another user":       true,
		"Record locking conflict":         true,
		"Block time agreement expired":    false,
		"Clock skew too large":            false,
	} {
		err := &tigerpaw.APIError{StatusCode: 200, Message: msg}
		if got := errors.Is(err, tigerpaw.ErrLocked); got != locked {
			t.Errorf("%q: Is(ErrLocked) = %v, want %v", msg, got, locked)
		}
	}
}
