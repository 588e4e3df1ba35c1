package serviceorder_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// Events of an Office 365 condition may be delivered again (the Source's
// contract allows it). An open condition order stays open when what is read
// again only says that an older occurrence ended, or when an event the engine
// already processed shows the condition active after such an end; it closes
// when the latest word is an end. An event too old to open an order still
// tells that the condition holds.
func TestConditionRedeliveredEventsKeepOrder(t *testing.T) {
	t.Parallel()
	k := serviceorder.ConditionKey(tenantA, kaspersky.O365MailboxesNotProtected)
	o365 := func(id string, active bool, ago time.Duration) kaspersky.Event {
		return kaspersky.Event{ID: id, Origin: kaspersky.OriginOffice365, O365Type: kaspersky.O365MailboxesNotProtected, Active: active, Time: t0.Add(-ago)}
	}
	closeIt := []string{tenantA + " close condition " + string(k) + " (the condition has ended)"}
	tests := []struct {
		name   string
		opened time.Duration // how long ago the order's own event was raised; 0 means 4 minutes
		events []kaspersky.Event
		want   []string
	}{
		{name: "the order's own event again, after an older end",
			events: []kaspersky.Event{o365("old", false, 5*time.Minute), o365("trigger", true, 4*time.Minute)}},
		{name: "only an older end again",
			events: []kaspersky.Event{o365("older", true, 6*time.Minute), o365("old", false, 5*time.Minute)}},
		{name: "an end, then an absorbed event still active",
			events: []kaspersky.Event{o365("trigger", true, 4*time.Minute), o365("gap", false, 3*time.Minute), o365("absorbed", true, 2*time.Minute)}},
		{name: "after an outage: an end, then an event older than the lifetime still active", opened: 30 * time.Hour,
			events: []kaspersky.Event{o365("gap", false, 26*time.Hour), o365("late", true, 25*time.Hour)}},
		{name: "the order's own event, then an end: closed",
			events: []kaspersky.Event{o365("trigger", true, 4*time.Minute), o365("end", false, time.Minute)}, want: closeIt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := baseInput()
			opened := tc.opened
			if opened == 0 {
				opened = 4 * time.Minute
			}
			in.State.Orders[k] = serviceorder.Order{Key: k, Kind: serviceorder.KindCondition, Phase: serviceorder.PhaseOpen, TenantID: tenantA, Number: 5,
				O365Type: kaspersky.O365MailboxesNotProtected, EventID: "trigger", EventTime: t0.Add(-opened)}
			for _, id := range []string{"older", "trigger", "absorbed"} {
				in.State.Events[serviceorder.EventKey(tenantA, kaspersky.OriginOffice365, id)] = t0.Add(-10 * time.Minute)
			}
			in.Tenants = []serviceorder.TenantInput{{Tenant: kaspersky.Tenant{ID: tenantA}, Events: tc.events}}
			if d := cmp.Diff(tc.want, actionsSummary(serviceorder.Evaluate(in))); d != "" {
				t.Fatalf("actions (-want +got):\n%s", d)
			}
		})
	}
}
