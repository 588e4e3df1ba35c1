package ksc

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksctest"
)

func TestFilterBuilder(t *testing.T) {
	t.Parallel()
	when := time.Date(2025, 4, 27, 23, 59, 1, 0, time.FixedZone("X", 3600))
	tests := []struct {
		f    Filter
		want string
	}{
		{Eq("KLHST_WKS_DN", `pc "one"`), `(KLHST_WKS_DN = "pc ""one""")`},
		{Eq("KLHST_WKS_DN", `") (|(A=1`), `(KLHST_WKS_DN = """) (|(A=1")`},
		{Ne("KLHST_WKS_STATUS_ID", 0), `(KLHST_WKS_STATUS_ID <> 0)`},
		{Lt("KLHST_WKS_LAST_VISIBLE", when), `(KLHST_WKS_LAST_VISIBLE < T"2025-04-27 22:59:01")`},
		{Le("A", int64(5)), `(A <= 5)`},
		{Gt("A", int32(-1)), `(A > -1)`},
		{Ge("A", uint32(7)), `(A >= 7)`},
		{Eq("B", true), `(B = 1)`},
		{Eq("B", false), `(B = 0)`},
		{BitsSet("KLHST_WKS_STATUS", 1), `(KLHST_WKS_STATUS&1<>0)`},
		{And(Eq("A", 1), Or(Eq("B", "x*"), Not(Eq("C", 2)))), `(&(A = 1)(|(B = "x*")(!(C = 2))))`},
	}
	for _, tt := range tests {
		got, err := tt.f.Build()
		if err != nil || got != tt.want || tt.f.String() != tt.want || tt.f.Err() != nil {
			t.Errorf("Build() = %q, %v; want %q", got, err, tt.want)
		}
	}
}

func TestFilterBuilderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    Filter
		want string
	}{
		{Eq("", 1), "empty attribute"},
		{Eq("A)(B", 1), "only letters"},
		{Eq("A", 1.5), "not supported"},
		{Eq("A", time.Time{}), "zero time"},
		{Eq("A", "nul\x00"), "NUL"},
		{BitsSet("A", 0), "not positive"},
		{BitsSet("A B", 1), "only letters"},
		{And(), "& of nothing"},
		{Or(Eq("A", 1), Eq("", 2)), "empty attribute"},
		{And(Filter{}), "empty operand"},
		{Not(Filter{}), "Not of an empty"},
		{Not(Eq("", 1)), "empty attribute"},
	}
	for _, tt := range tests {
		got, err := tt.f.Build()
		if err == nil || !strings.Contains(err.Error(), tt.want) || got != "" || tt.f.String() != "" {
			t.Errorf("Build() = %q, %v; want an error mentioning %q", got, err, tt.want)
		}
	}
}

// TestFilterOverHTTP checks that escaped values reach the (parsing) fake intact.
func TestFilterOverHTTP(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	srv.AddHost("Alpha Ltd", ksctest.Host{Hostname: "h-q", DisplayName: `odd "name") (|(x=1`, CType: 0x401001})
	srv.AddHost("Alpha Ltd", ksctest.Host{Hostname: "h-old", DisplayName: "old", CType: 0x401001, LastVisible: t0.AddDate(-1, 0, 0)})
	a := c.ForVirtualServer("Alpha Ltd")
	tests := []struct {
		name string
		q    HostQuery
		want []string
	}{
		{"quoted value", HostQuery{Filter: Eq("KLHST_WKS_DN", `odd "name") (|(x=1`)}, []string{"h-q"}},
		{"wildcard", HostQuery{Filter: Eq("KLHST_WKS_DN", "WS-0*")}, []string{"h-noctype", "h-sick", "h-ws"}},
		{"time", HostQuery{Filter: And(Lt("KLHST_WKS_LAST_VISIBLE", t0.AddDate(0, -1, 0)), Gt("KLHST_WKS_LAST_VISIBLE", t0.AddDate(-2, 0, 0)))}, []string{"h-old"}},
		{"bits", HostQuery{Filter: BitsSet("KLHST_WKS_STATUS_MASK", 1<<7)}, []string{"h-sick"}},
		{"not, descending", HostQuery{Filter: And(Eq("KLHST_WKS_GROUPID_GP", 10), Not(Eq("KLHST_WKS_STATUS_ID", 0))), OrderBy: "KLHST_WKS_DN", Desc: true},
			[]string{"h-sick", "h-ws"}},
	}
	for _, tt := range tests {
		hosts, err := a.Hosts(t.Context(), tt.q)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if d := cmp.Diff(tt.want, hostIDs(t, hosts)); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
	for _, q := range []HostQuery{{}, {Filter: Eq("", 1)}, {Filter: Eq("A", 1), OrderBy: "bad name"}} {
		if _, err := a.Hosts(context.Background(), q); err == nil {
			t.Errorf("Hosts(%+v) succeeded", q)
		}
	}
	if n := srv.OpenHandles(); n != 0 {
		t.Errorf("open handles = %d", n)
	}
}
