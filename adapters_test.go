package kasperskytigerpaw

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

func TestAdaptersRefuseANilClient(t *testing.T) {
	t.Parallel()
	if _, err := NewChargeWriter(nil); err == nil {
		t.Error("NewChargeWriter(nil) succeeded")
	}
	if _, err := NewDesk(nil); err == nil {
		t.Error("NewDesk(nil) succeeded")
	}
	if _, err := NewLookups(nil); err == nil {
		t.Error("NewLookups(nil) succeeded")
	}
	if _, err := NewDirectory(nil); err == nil {
		t.Error("NewDirectory(nil) succeeded")
	}
}

// TestLookupsValidateRulesOverTigerpaw validates service order rules against
// the fake Tigerpaw's tables through Lookups.
func TestLookupsValidateRulesOverTigerpaw(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	rep := srv.AddRep(tigerpawtest.Rep{Name: "Dana Tech"}).Number
	inactive := srv.AddRep(tigerpawtest.Rep{Name: "Former Tech", Inactive: true}).Number
	srv.AddStatus(tigerpawtest.Status{Name: "New"})
	srv.AddStatus(tigerpawtest.Status{Name: "Closed", Closed: true})
	board := srv.AddBoard(tigerpawtest.Board{Description: "Security"}).ID
	srv.AddPriority(tigerpawtest.Priority{Name: "High"})
	srv.AddServiceOrderType(tigerpawtest.ServiceOrderType{Name: "Antivirus"})
	l, err := NewLookups(srv.Client(t))
	if err != nil {
		t.Fatal(err)
	}

	reps, err := l.Reps(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	wantReps := []serviceorder.Rep{{Number: rep, Name: "Dana Tech"}, {Number: inactive, Name: "Former Tech", Inactive: true}}
	if diff := cmp.Diff(wantReps, reps); diff != "" {
		t.Errorf("reps (-want +got):\n%s", diff)
	}
	boards, err := l.Boards(t.Context())
	if err != nil || len(boards) != 1 || boards[0] != (serviceorder.Board{ID: board, Name: "Security"}) {
		t.Errorf("boards = %+v, %v", boards, err)
	}
	for name, list := range map[string]func() ([]string, error){
		"statuses":   func() ([]string, error) { return l.Statuses(t.Context()) },
		"priorities": func() ([]string, error) { return l.Priorities(t.Context()) },
		"types":      func() ([]string, error) { return l.Types(t.Context()) },
	} {
		got, err := list()
		if err != nil || len(got) == 0 {
			t.Errorf("%s = %v, %v", name, got, err)
		}
	}

	rules := serviceorder.DefaultRules()
	rules.General = serviceorder.General{Rep: rep, NewStatus: "New", ClosedStatus: "Closed"}
	rules.Statuses[0].OrderSettings = serviceorder.OrderSettings{Enabled: true, Board: board, Priority: "High", Type: "Antivirus"}
	if err := rules.ValidateWith(t.Context(), l); err != nil {
		t.Errorf("valid rules: %v", err)
	}
	rules.General.ClosedStatus = "Archived"
	rules.Statuses[0].Priority = "Urgent"
	err = rules.ValidateWith(t.Context(), l)
	var verr *serviceorder.ValidationError
	if !errors.As(err, &verr) || len(verr.Problems) < 2 {
		t.Errorf("rules with an unknown status and priority: %v", err)
	}

	srv.FailNext("GET", "/api/mastertables/reps", 10, tigerpawtest.Fault{Status: http.StatusUnauthorized})
	if _, err := l.Reps(t.Context()); err == nil {
		t.Error("Reps with Tigerpaw refusing succeeded")
	}
}

// TestAdapterErrorsSpeakTheConsumersVocabulary checks that Tigerpaw's answers
// reach billing and serviceorder as the sentinels they branch on.
func TestAdapterErrorsSpeakTheConsumersVocabulary(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	acct := srv.AddAccount(tigerpawtest.Account{Name: "Contoso"}).Number
	oneOff := srv.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct}).Number
	recurring := srv.AddAgreement(tigerpawtest.Agreement{AccountNumber: acct, BillingPeriod: 1}).Number
	level := srv.AddPriceLevel(tigerpawtest.PriceLevel{Description: "Standard"}).ID
	srv.AddPriceBookItem(tigerpawtest.PriceBookItem{ItemID: "KESB", SellingPrices: map[int]int64{level: 100}})
	c := srv.Client(t)
	w, _ := NewChargeWriter(c)
	desk, _ := NewDesk(c)
	ctx := t.Context()

	charge := billing.Charge{ItemID: "KESB", Description: billing.OwnerMarker + " test", Quantity: 3, Price: 100, PriceLevel: level}
	if _, err := w.Create(ctx, oneOff, charge); !errors.Is(err, billing.ErrRejected) {
		t.Errorf("charge on a one-off agreement: %v, want ErrRejected", err)
	}
	unknown := charge
	unknown.ItemID = "NOPE"
	if _, err := w.Create(ctx, recurring, unknown); !errors.Is(err, billing.ErrRejected) {
		t.Errorf("charge of an unknown item: %v, want ErrRejected", err)
	}
	huge := charge
	huge.Quantity = 1 << 40
	if _, err := w.Create(ctx, recurring, huge); !errors.Is(err, billing.ErrRejected) {
		t.Errorf("quantity out of range: %v, want ErrRejected", err)
	}
	if err := w.Update(ctx, recurring, billing.Charge{DetailID: 999, ItemID: "KESB", Quantity: -1}); !errors.Is(err, billing.ErrRejected) {
		t.Errorf("negative quantity: %v, want ErrRejected", err)
	}
	if err := w.Delete(ctx, recurring, 999); !errors.Is(err, billing.ErrNotFound) {
		t.Errorf("delete of a missing charge: %v, want ErrNotFound", err)
	}
	srv.FailNext("POST", "/api/agreements/{n}/additionalcharges", 1, tigerpawtest.Fault{Drop: true, AfterApply: true})
	if _, err := w.Create(ctx, recurring, charge); err == nil || errors.Is(err, billing.ErrRejected) {
		t.Errorf("dropped create: %v, want an error that is not a rejection (it may have been applied)", err)
	}
	id, err := w.Create(ctx, recurring, charge)
	if err != nil {
		t.Fatal(err)
	}
	charge.DetailID, charge.Quantity = id, 5
	if err := w.Update(ctx, recurring, charge); err != nil {
		t.Fatal(err)
	}
	list, err := w.List(ctx, recurring)
	if err != nil {
		t.Fatal(err)
	}
	var got *billing.Charge
	for i := range list {
		if list[i].DetailID == id {
			got = &list[i]
		}
	}
	if got == nil || got.Quantity != 5 || got.Price != 100 || !got.Owned() {
		t.Errorf("charge after update = %+v", got)
	}

	if _, err := desk.Get(ctx, 4242); !errors.Is(err, serviceorder.ErrNotFound) {
		t.Errorf("Get of a missing order: %v, want serviceorder.ErrNotFound", err)
	}
	if err := desk.Close(ctx, 4242, serviceorder.CloseRequest{Status: "Closed"}); !errors.Is(err, serviceorder.ErrNotFound) {
		t.Errorf("Close of a missing order: %v, want serviceorder.ErrNotFound", err)
	}
}

func TestDeskCompletesOpenTasksOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	srv := tigerpawtest.NewServer(t)
	acct := srv.AddAccount(tigerpawtest.Account{Name: "Contoso"}).Number
	srv.AddStatus(tigerpawtest.Status{Name: "New"})
	srv.AddStatus(tigerpawtest.Status{Name: "Closed", Closed: true})
	srv.AddPriority(tigerpawtest.Priority{Name: "High"})
	for _, complete := range []bool{false, true} {
		so := srv.AddServiceOrder(tigerpawtest.ServiceOrder{AccountNumber: acct, Status: "New", Priority: "High", OpenTasks: 2})
		var opts []DeskOption
		if complete {
			opts = append(opts, WithCompleteOpenTasks())
		}
		desk, err := NewDesk(srv.Client(t), opts...)
		if err != nil {
			t.Fatal(err)
		}
		if err := desk.Close(t.Context(), so.Number, serviceorder.CloseRequest{Status: "Closed", WorkPerformed: "Resolved"}); err != nil {
			t.Fatal(err)
		}
		got, _ := srv.ServiceOrder(so.Number)
		want := 2
		if complete {
			want = 0
		}
		if got.Status != "Closed" || got.OpenTasks != want {
			t.Errorf("complete=%v: order = status %q, %d open tasks; want Closed with %d", complete, got.Status, got.OpenTasks, want)
		}
	}
}
