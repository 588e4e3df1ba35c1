package ksc

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEventQueries(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, WithChunkSize(2))
	a := c.ForVirtualServer("Alpha Ltd")
	day := t0.Add(-24 * time.Hour)
	tests := []struct {
		name string
		q    EventQuery
		want []int64
	}{
		{"window", EventQuery{From: day, To: t0}, []int64{1000, 1001, 1002, 1003}},
		{"open window", EventQuery{}, []int64{999, 1000, 1001, 1002, 1003}},
		{"critical only", EventQuery{From: day, Severities: []EventSeverity{SeverityCritical}}, []int64{1003}},
		{"warning and critical", EventQuery{From: day, To: t0, Severities: []EventSeverity{SeverityWarning, SeverityCritical}}, []int64{1001, 1003}},
		{"functional failure", EventQuery{Severities: []EventSeverity{SeverityError}}, []int64{1002}},
		{"inclusive bounds", EventQuery{From: t0.Add(-3 * time.Hour), To: t0.Add(-2 * time.Hour)}, []int64{1001, 1002}},
		{"sub-second bounds", EventQuery{From: t0.Add(-3*time.Hour + 500*time.Millisecond), To: t0.Add(-2*time.Hour + 500*time.Millisecond)},
			[]int64{1001, 1002}},
	}
	for _, tt := range tests {
		evs, err := a.EventList(t.Context(), tt.q)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		ids := []int64{}
		for _, e := range evs {
			ids = append(ids, e.ID)
		}
		if d := cmp.Diff(tt.want, ids); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
	evs, err := a.EventList(t.Context(), EventQuery{From: day, Severities: []EventSeverity{SeverityInfo}})
	if err != nil || len(evs) != 1 {
		t.Fatalf("info: %v, %v", evs, err)
	}
	want := Event{ID: 1000, Type: "evtA", TypeName: "Event A", Time: t0.Add(-4 * time.Hour), HostID: "h-ws", HostName: "WS-01",
		Severity: SeverityInfo, Description: "description A", ProductName: "KES"}
	if d := cmp.Diff(want, evs[0]); d != "" {
		t.Errorf("event (-want +got):\n%s", d)
	}
	if _, err := a.EventList(t.Context(), EventQuery{From: t0, To: day}); err == nil {
		t.Error("a window ending before it starts was accepted")
	}
	if n := srv.OpenHandles(); n != 0 {
		t.Errorf("open handles = %d", n)
	}
}
