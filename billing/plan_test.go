package billing

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, d)
	}
}

// owned returns an owned charge.
func owned(id int64, item string, qty int64, price Money, level int) Charge {
	return Charge{DetailID: id, ItemID: item, Description: Describe("test " + item), Quantity: qty, Price: price, PriceLevel: level}
}

// manual returns a charge a person added.
func manual(id int64, item string, qty int64, price Money, level int) Charge {
	return Charge{DetailID: id, ItemID: item, Description: "Kaspersky licenses (entered by hand)", Quantity: qty, Price: price, PriceLevel: level}
}

// want returns a desired charge.
func want(item string, qty int64, price Money, level int) Charge {
	return Charge{ItemID: item, Description: Describe("test " + item), Quantity: qty, Price: price, PriceLevel: level}
}

func TestOwned(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc string
		want bool
	}{
		{OwnerMarker + " Kaspersky Endpoint Security", true},
		{"  [KASPERSKY:AUTO] upper case after spaces", true},
		{OwnerMarker, true},
		{"[kaspersky:aut", false},
		{"Kaspersky Endpoint Security [kaspersky:auto]", false},
		{"Kaspersky Endpoint Security", false},
		{"", false},
	}
	for _, tt := range tests {
		c := Charge{Description: tt.desc}
		if got := c.Owned(); got != tt.want {
			t.Errorf("Owned(%q) = %v, want %v", tt.desc, got, tt.want)
		}
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	const ag = 1043
	tests := []struct {
		name     string
		desired  []Charge
		existing []Charge
		want     []Change
	}{
		{
			name:    "create on an empty agreement",
			desired: []Charge{want("WS", 90, 450, 1)},
			want:    []Change{{Action: Create, Agreement: ag, ItemID: "WS", Desired: want("WS", 90, 450, 1), Reason: reasonNew}},
		},
		{
			name:     "same world, no writes",
			desired:  []Charge{want("WS", 90, 450, 1)},
			existing: []Charge{owned(7, "WS", 90, 450, 1)},
			want:     []Change{{Action: NoOp, Agreement: ag, ItemID: "WS", Current: owned(7, "WS", 90, 450, 1), Desired: withID(want("WS", 90, 450, 1), 7), Reason: reasonUpToDate}},
		},
		{
			name:     "quantity changed",
			desired:  []Charge{want("WS", 90, 450, 1)},
			existing: []Charge{owned(7, "WS", 88, 450, 1)},
			want:     []Change{{Action: Update, Agreement: ag, ItemID: "WS", Current: owned(7, "WS", 88, 450, 1), Desired: withID(want("WS", 90, 450, 1), 7), Reason: reasonQuantity}},
		},
		{
			name:     "price level changed",
			desired:  []Charge{want("WS", 90, 400, 2)},
			existing: []Charge{owned(7, "WS", 90, 450, 1)},
			want:     []Change{{Action: Update, Agreement: ag, ItemID: "WS", Current: owned(7, "WS", 90, 450, 1), Desired: withID(want("WS", 90, 400, 2), 7), Reason: reasonPriceAndLevel}},
		},
		{
			name:     "usage dropped to zero deletes the owned charge",
			existing: []Charge{owned(7, "WS", 90, 450, 1)},
			want:     []Change{{Action: Delete, Agreement: ag, ItemID: "WS", Current: owned(7, "WS", 90, 450, 1), Reason: reasonNoUsage}},
		},
		{
			name:     "a desired charge of zero is no usage",
			desired:  []Charge{want("WS", 0, 450, 1)},
			existing: []Charge{owned(7, "WS", 90, 450, 1)},
			want:     []Change{{Action: Delete, Agreement: ag, ItemID: "WS", Current: owned(7, "WS", 90, 450, 1), Reason: reasonNoUsage}},
		},
		{
			name:     "manual charges are never touched, even for the same item",
			desired:  []Charge{want("WS", 90, 450, 1)},
			existing: []Charge{manual(3, "WS", 5, 100, 1), manual(4, "OTHER", 1, 100, 1)},
			want:     []Change{{Action: Create, Agreement: ag, ItemID: "WS", Desired: want("WS", 90, 450, 1), Reason: reasonNew}},
		},
		{
			name:     "manual charges stay when usage is gone",
			existing: []Charge{manual(3, "WS", 5, 100, 1)},
		},
		{
			name:     "duplicates: the one already right is kept, the others deleted",
			desired:  []Charge{want("WS", 90, 450, 1)},
			existing: []Charge{owned(9, "WS", 90, 450, 1), owned(5, "WS", 88, 450, 1), owned(12, "ws ", 90, 450, 1)},
			want: []Change{
				{Action: NoOp, Agreement: ag, ItemID: "WS", Current: owned(9, "WS", 90, 450, 1), Desired: withID(want("WS", 90, 450, 1), 9), Reason: reasonUpToDate},
				{Action: Delete, Agreement: ag, ItemID: "WS", Current: owned(5, "WS", 88, 450, 1), Reason: reasonDuplicate},
				{Action: Delete, Agreement: ag, ItemID: "WS", Current: owned(12, "ws ", 90, 450, 1), Reason: reasonDuplicate},
			},
		},
		{
			name:     "duplicates, none right: the oldest is updated",
			desired:  []Charge{want("WS", 90, 450, 1)},
			existing: []Charge{owned(9, "WS", 80, 450, 1), owned(5, "WS", 88, 450, 1)},
			want: []Change{
				{Action: Update, Agreement: ag, ItemID: "WS", Current: owned(5, "WS", 88, 450, 1), Desired: withID(want("WS", 90, 450, 1), 5), Reason: reasonQuantity},
				{Action: Delete, Agreement: ag, ItemID: "WS", Current: owned(9, "WS", 80, 450, 1), Reason: reasonDuplicate},
			},
		},
		{
			name:     "item ids compare without case or spaces",
			desired:  []Charge{want("KESB-WS", 90, 450, 1)},
			existing: []Charge{owned(7, " kesb-ws", 90, 450, 1)},
			want:     []Change{{Action: NoOp, Agreement: ag, ItemID: "KESB-WS", Current: owned(7, " kesb-ws", 90, 450, 1), Desired: withID(want("KESB-WS", 90, 450, 1), 7), Reason: reasonUpToDate}},
		},
		{
			name:     "duplicate desired items are summed",
			desired:  []Charge{want("WS", 60, 450, 1), want("SRV", 1, 550, 1), want("WS", 30, 450, 1)},
			existing: []Charge{owned(7, "WS", 90, 450, 1)},
			want: []Change{
				{Action: Create, Agreement: ag, ItemID: "SRV", Desired: want("SRV", 1, 550, 1), Reason: reasonNew},
				{Action: NoOp, Agreement: ag, ItemID: "WS", Current: owned(7, "WS", 90, 450, 1), Desired: withID(want("WS", 90, 450, 1), 7), Reason: reasonUpToDate},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Diff(ag, tt.desired, tt.existing)
			if d := cmp.Diff(tt.want, got.Changes); d != "" {
				t.Errorf("Diff (-want +got):\n%s", d)
			}
		})
	}
}

func withID(c Charge, id int64) Charge {
	c.DetailID = id
	return c
}

// TestDiffIsDeterministic shuffles the existing charges: the plan must not
// depend on their order.
func TestDiffIsDeterministic(t *testing.T) {
	t.Parallel()
	desired := []Charge{want("A", 1, 100, 1), want("B", 2, 100, 1), want("C", 3, 100, 1)}
	existing := []Charge{owned(4, "B", 2, 100, 1), owned(2, "B", 2, 100, 1), owned(3, "Z", 1, 1, 1), manual(1, "A", 1, 1, 1), owned(5, "C", 1, 100, 1)}
	first := Diff(1, desired, existing).Explain()
	for i := range existing {
		rotated := append(append([]Charge{}, existing[i:]...), existing[:i]...)
		if got := Diff(1, desired, rotated).Explain(); got != first {
			t.Errorf("rotation %d:\n%s\nwant:\n%s", i, got, first)
		}
	}
}

// goldenPlan is a plan with every kind of change, over two agreements and a
// skipped one.
func goldenPlan() Plan {
	p := Plan{}
	p.Changes = AppendDiff(p.Changes, 1043,
		[]Charge{want("KESB-ADV-WS", 90, 450, 1), want("KESB-ADV-SRV", 10, 550, 1), want("KESB-ADV-NW", 3, 450, 1), want("KESC-PLUS", 12, 1050, 1), want("KSO365", 40, 150, 2)},
		[]Charge{owned(11, "KESB-ADV-WS", 88, 450, 1), owned(12, "KESB-ADV-NW", 3, 400, 1), owned(13, "X", 5, 100, 1), owned(14, "KESC-PLUS", 12, 1050, 1), owned(15, "KESC-PLUS", 12, 1050, 1), owned(16, "KSO365", 41, 150, 1), manual(17, "KESB-ADV-WS", 2, 450, 1)})
	p.Changes = AppendDiff(p.Changes, 2001,
		[]Charge{want("KESB-SEL-WS", 7, 300, 1)},
		nil)
	p.Skipped = append(p.Skipped, Skipped{Agreement: 3005, Err: errors.New("billing: agreement 3005: tenant \"vs-9\": no inventory for the tenant")})
	return p
}

func TestPlanGolden(t *testing.T) {
	t.Parallel()
	p := goldenPlan()
	golden(t, "plan.golden", p.String())
	golden(t, "plan-explain.golden", p.Explain())
	if p.Empty() {
		t.Error("Empty() = true for a plan with writes")
	}
	if got := (Plan{}).String(); got != "" {
		t.Errorf("empty plan prints %q", got)
	}
	if !(Plan{Changes: []Change{{Action: NoOp}}}).Empty() {
		t.Error("a plan of no-ops is not Empty")
	}
	cr, up, del, noop := p.Counts()
	if cr != 2 || up != 3 || del != 2 || noop != 1 {
		t.Errorf("Counts = %d %d %d %d, want 2 3 2 1", cr, up, del, noop)
	}
}

func TestActionString(t *testing.T) {
	t.Parallel()
	for a, want := range map[Action]string{NoOp: "no-op", Create: "create", Update: "update", Delete: "delete", Action(9): "Action(9)"} {
		if got := a.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(a), got, want)
		}
	}
	c := Change{Action: Delete, Agreement: 1043, ItemID: "X", Current: owned(1, "X", 5, 100, 1)}
	if got, want := c.String(), "- agreement 1043 item X qty 5 @ 1.00"; got != want {
		t.Errorf("Change.String() = %q, want %q", got, want)
	}
}

// TestExplainUnbilledReasons says why usage is unbilled: an application or a
// category without an item, or devices without a category while billing by
// category, which no price book item could fix.
func TestExplainUnbilledReasons(t *testing.T) {
	t.Parallel()
	p := Plan{Unbilled: []Unbilled{
		{Agreement: 1, TenantID: "t1", Usage: Usage{App: kaspersky.AppKESBAdvanced, Quantity: 2}},
		{Agreement: 1, TenantID: "t1", Usage: Usage{App: kaspersky.AppTotalSecurity, Category: kaspersky.NonWindows, Quantity: 1}},
		{Agreement: 1, TenantID: "t1", Usage: Usage{App: kaspersky.AppKESCloud, Quantity: 3}},
	}}
	want := []string{
		"? agreement 1 tenant t1 app kesb-advanced (devices without a category) qty 2 not billed: no price book item\n",
		"? agreement 1 tenant t1 app ktsb (Non-Windows devices) qty 1 not billed: no price book item\n",
		"? agreement 1 tenant t1 app kes-cloud qty 3 not billed: no price book item\n",
	}
	got := p.Explain()
	for _, line := range want {
		if !strings.Contains(got, line) {
			t.Errorf("Explain() lacks %q:\n%s", line, got)
		}
	}
}
