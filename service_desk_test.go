package kasperskytigerpaw

import (
	"testing"

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
			DropNextCreate: func(*testing.T) {
				srv.FailNext("POST", "/api/ServiceOrders", 1, tigerpawtest.Fault{Drop: true, AfterApply: true})
			},
			Rep: rep, NewStatus: "New", ClosedStatus: "Closed", Board: board, Priority: "High", Type: "Security",
			Accounts: [2]int{a1, a2},
		}
	})
}
