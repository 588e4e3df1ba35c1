package kasperskytigerpaw

import (
	"net/http"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// TestDeskScenariosOverTigerpaw runs the seed's service order scenarios through
// the Desk adapter against the fake Tigerpaw server, over HTTP.
func TestDeskScenariosOverTigerpaw(t *testing.T) {
	t.Parallel()
	serviceordertest.RunDeskScenarios(t, func(t *testing.T) serviceordertest.DeskEnv {
		srv := tigerpawtest.NewServer(t)
		rep := srv.AddRep(tigerpawtest.Rep{Name: "Dana Tech"}).Number
		srv.AddStatus(tigerpawtest.Status{Name: "New"})
		srv.AddStatus(tigerpawtest.Status{Name: "Closed", Closed: true})
		board := srv.AddBoard(tigerpawtest.Board{Description: "Security"}).ID
		srv.AddPriority(tigerpawtest.Priority{Name: "High"})
		srv.AddServiceOrderType(tigerpawtest.ServiceOrderType{Name: "Security"})
		a1 := srv.AddAccount(tigerpawtest.Account{Name: "Contoso", Type: "Customer"}).Number
		a2 := srv.AddAccount(tigerpawtest.Account{Name: "Fabrikam", Type: "Customer"}).Number
		desk, err := NewDesk(srv.Client(t))
		if err != nil {
			t.Fatal(err)
		}
		return serviceordertest.DeskEnv{
			Desk: desk,
			Orders: func(t *testing.T) []serviceordertest.DeskOrder {
				var out []serviceordertest.DeskOrder
				for _, so := range srv.Snapshot().ServiceOrders {
					out = append(out, serviceordertest.DeskOrder{
						Number: so.Number,
						NewOrder: serviceorder.NewOrder{
							Account: so.AccountNumber, Rep: so.TechnicianAssigned, Status: so.Status,
							Priority: so.Priority, Type: so.Type, Board: so.BoardID,
							Brief: so.BriefDescription, Work: so.WorkRequested, Reference: serviceorder.Key(so.Reference),
						},
						Status:        so.Status,
						Closed:        !so.Closed.IsZero(),
						Locked:        so.Lock != nil,
						WorkPerformed: so.WorkPerformed,
					})
				}
				return out
			},
			SetLocked: func(t *testing.T, number int, locked bool) {
				ok := srv.UnlockServiceOrder(number)
				if locked {
					ok = srv.LockServiceOrder(number, tigerpawtest.Lock{RepNumber: rep, RepName: "Dana Tech"})
				}
				if !ok {
					t.Fatalf("no service order %d", number)
				}
			},
			LockBy: func(t *testing.T, number int, holder string) {
				if !srv.LockServiceOrder(number, tigerpawtest.Lock{RepNumber: rep, RepName: holder}) {
					t.Fatalf("no service order %d", number)
				}
			},
			DropNextCreate: func(*testing.T) {
				srv.FailNext("POST", "/api/ServiceOrders", 1, tigerpawtest.Fault{Drop: true, AfterApply: true})
			},
			Rep: rep, NewStatus: "New", ClosedStatus: "Closed", Board: board, Priority: "High", Type: "Security",
			Accounts: [2]int{a1, a2},
		}
	})
}

// An order without a close date may come back with a placeholder date rather
// than null (.NET's DateTime.MinValue, SQL Server's 1900-01-01). The Desk must
// not report such an order as closed: the Runner would skip its close and
// release it, leaving it open for good. A real close date still counts.
func TestDeskPlaceholderCloseDateIsNotClosed(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	for _, tc := range []struct {
		closed string
		want   bool
	}{
		{closed: `"0001-01-01T00:00:00"`, want: false},
		{closed: `{"DateTime": "0001-01-01T00:00:00"}`, want: false},
		{closed: `"1900-01-01T00:00:00"`, want: false},
		{closed: `null`, want: false},
		{closed: `"2026-11-29T08:00:00"`, want: true},
	} {
		t.Run(tc.closed, func(t *testing.T) {
			t.Parallel()
			srv := tigerpawtest.NewServer(t, tigerpawtest.WithTimeZone(ny))
			desk, err := NewDesk(srv.Client(t))
			if err != nil {
				t.Fatal(err)
			}
			body := `{"ServiceOrderNumber": 77, "ServiceOrder": {"AccountNumber": 1, "Status": "New", "Reference": "KTS-X",
				"DateTimeOpened": "2026-11-28T08:00:00", "DateTimeClosed": ` + tc.closed + `}, "ServiceOrderLock": null}`
			srv.FailNext("GET", "/api/serviceorders/{n}", 1, tigerpawtest.Fault{Status: http.StatusOK, Body: body})
			got, err := desk.Get(t.Context(), 77)
			if err != nil {
				t.Fatal(err)
			}
			if got.Closed != tc.want {
				t.Fatalf("Closed = %v, want %v (order %+v)", got.Closed, tc.want, got)
			}
		})
	}
}
