package billing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// applyWorld is the world of the apply tests: agreement 1043 has an owned
// workstation charge that is out of date, an owned charge without usage and a
// manual charge for the workstation item; agreement 2001 has no charge yet.
func applyWorld() (existing map[int][]Charge, desired map[int][]Charge) {
	existing = map[int][]Charge{
		1043: {owned(11, "KESB-ADV-WS", 88, 450, 1), owned(13, "X", 5, 100, 1), manual(17, "KESB-ADV-WS", 2, 450, 1)},
		2001: nil,
	}
	desired = map[int][]Charge{
		1043: {want("KESB-ADV-SRV", 10, 550, 1), want("KESB-ADV-WS", 90, 450, 1)},
		2001: {want("KESB-SEL-WS", 7, 300, 1)},
	}
	return existing, desired
}

// planFor diffs every agreement of desired against what w holds.
func planFor(t *testing.T, w ChargeReader, desired map[int][]Charge) Plan {
	t.Helper()
	var p Plan
	ags := make([]int, 0, len(desired))
	for ag := range desired {
		ags = append(ags, ag)
	}
	slices.Sort(ags)
	for _, ag := range ags {
		existing, err := w.List(context.Background(), ag)
		if err != nil {
			t.Fatalf("List(%d): %v", ag, err)
		}
		p.Changes = AppendDiff(p.Changes, ag, desired[ag], existing)
	}
	return p
}

// ignoreIDs compares charges without their DetailIDs, in any order.
var ignoreIDs = cmp.Options{
	cmpopts.IgnoreFields(Charge{}, "DetailID"),
	cmpopts.SortSlices(func(a, b Charge) bool {
		return a.ItemID+"|"+a.Description < b.ItemID+"|"+b.Description
	}),
}

func TestApply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		faults []fault
		// The result: counts and the failed changes as "action agreement item".
		created, updated, deleted int
		failed                    []string
		// Creates of the server item of agreement 1043 that reached the writer.
		srvCreates int
		// Whether the agreements end up exactly as desired.
		converged bool
	}{
		{
			name:    "no fault",
			created: 2, updated: 1, deleted: 1, srvCreates: 1, converged: true,
		},
		{
			name:    "create applied, then the connection dropped",
			faults:  []fault{{op: "create", item: "KESB-ADV-SRV", applied: true, err: errDropped}},
			created: 2, updated: 1, deleted: 1, srvCreates: 1, converged: true,
		},
		{
			name:    "create applied with other values, then the connection dropped",
			faults:  []fault{{op: "create", item: "KESB-ADV-SRV", applied: true, altered: true, err: errDropped}, {op: "update", item: "KESB-ADV-SRV", err: errDropped}},
			created: 2, updated: 1, deleted: 1, srvCreates: 1, converged: true,
		},
		{
			name:    "create lost before the server acted is retried after a re-read",
			faults:  []fault{{op: "create", item: "KESB-ADV-SRV", err: context.DeadlineExceeded}},
			created: 2, updated: 1, deleted: 1, srvCreates: 2, converged: true,
		},
		{
			name:    "create applied, connection dropped, first re-read fails",
			faults:  []fault{{op: "create", item: "KESB-ADV-SRV", applied: true, err: errDropped}, {op: "list", agreement: 1043, err: errDropped}},
			created: 2, updated: 1, deleted: 1, srvCreates: 1, converged: true,
		},
		{
			name: "create applied, connection dropped, every re-read fails: no retry",
			faults: []fault{
				{op: "create", item: "KESB-ADV-SRV", applied: true, err: errDropped},
				{op: "list", agreement: 1043, err: errDropped}, {op: "list", agreement: 1043, err: errDropped}, {op: "list", agreement: 1043, err: errDropped},
			},
			created: 1, updated: 1, deleted: 1, failed: []string{"create 1043 KESB-ADV-SRV"}, srvCreates: 1, converged: true,
		},
		{
			name: "create never reaches the server",
			faults: []fault{
				{op: "create", item: "KESB-ADV-SRV", err: errDropped}, {op: "create", item: "KESB-ADV-SRV", err: errDropped}, {op: "create", item: "KESB-ADV-SRV", err: errDropped},
			},
			created: 1, updated: 1, deleted: 1, failed: []string{"create 1043 KESB-ADV-SRV"}, srvCreates: 3,
		},
		{
			name:    "a rejected create is not retried and does not stop other agreements",
			faults:  []fault{{op: "create", agreement: 1043, err: fmt.Errorf("unknown item: %w", ErrRejected)}},
			created: 1, updated: 1, deleted: 1, failed: []string{"create 1043 KESB-ADV-SRV"}, srvCreates: 1,
		},
		{
			name:    "a failing agreement does not stop the next",
			faults:  []fault{{op: "create", agreement: 2001, err: fmt.Errorf("agreement closed: %w", ErrRejected)}},
			created: 1, updated: 1, deleted: 1, failed: []string{"create 2001 KESB-SEL-WS"}, srvCreates: 1,
		},
		{
			name:    "update applied, then the connection dropped",
			faults:  []fault{{op: "update", applied: true, err: errDropped}},
			created: 2, updated: 1, deleted: 1, srvCreates: 1, converged: true,
		},
		{
			name:    "update of a charge someone deleted",
			faults:  []fault{{op: "update", err: fmt.Errorf("gone: %w", ErrNotFound)}},
			created: 2, deleted: 1, failed: []string{"update 1043 KESB-ADV-WS"}, srvCreates: 1,
		},
		{
			name:    "delete applied, then the connection dropped",
			faults:  []fault{{op: "delete", applied: true, err: errDropped}},
			created: 2, updated: 1, deleted: 1, srvCreates: 1, converged: true,
		},
		{
			name:    "delete failing every time",
			faults:  []fault{{op: "delete", err: errDropped}, {op: "delete", err: errDropped}, {op: "delete", err: errDropped}},
			created: 2, updated: 1, failed: []string{"delete 1043 X"}, srvCreates: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			existing, desired := applyWorld()
			w := newFakeWriter(existing)
			plan := planFor(t, w, desired)
			w.inject(tt.faults...)
			res, err := Apply(t.Context(), plan, w, WithBackoff(0))
			var failed []string
			for _, f := range res.Failed {
				failed = append(failed, fmt.Sprintf("%s %d %s", f.Action, f.Agreement, f.ItemID))
				if !strings.Contains(f.Error(), fmt.Sprintf("agreement %d item %s", f.Agreement, f.ItemID)) {
					t.Errorf("error %q does not name its agreement and item", f)
				}
				if !errors.Is(err, f.Err) {
					t.Errorf("the returned error does not wrap %v", f.Err)
				}
			}
			if (err != nil) != (len(tt.failed) > 0) {
				t.Errorf("Apply error = %v, want failures %v", err, tt.failed)
			}
			if d := cmp.Diff(tt.failed, failed); d != "" {
				t.Errorf("failed changes (-want +got):\n%s", d)
			}
			got := [4]int{res.Created, res.Updated, res.Deleted, res.Unchanged}
			if want := [4]int{tt.created, tt.updated, tt.deleted, 0}; got != want {
				t.Errorf("created, updated, deleted, unchanged = %v, want %v", got, want)
			}
			creates := 0
			for _, c := range w.calls {
				if c == "create 1043 KESB-ADV-SRV" {
					creates++
				}
			}
			if creates != tt.srvCreates {
				t.Errorf("%d creates of the server item reached the writer, want %d; calls: %q", creates, tt.srvCreates, w.calls)
			}
			// Never a duplicate, and the manual charge is untouched, whatever failed.
			for ag := range desired {
				seen := map[string]bool{}
				for _, c := range w.snapshot(ag) {
					if c.Owned() && seen[c.ItemID] {
						t.Errorf("agreement %d has two owned charges for %s: %+v", ag, c.ItemID, w.snapshot(ag))
					}
					seen[c.ItemID] = true
				}
			}
			if !slices.Contains(w.snapshot(1043), manual(17, "KESB-ADV-WS", 2, 450, 1)) {
				t.Errorf("the manual charge changed: %+v", w.snapshot(1043))
			}
			if tt.converged {
				for ag, d := range desired {
					wantCharges := d
					if ag == 1043 {
						wantCharges = append(slices.Clone(d), manual(17, "KESB-ADV-WS", 2, 450, 1))
					}
					if diff := cmp.Diff(wantCharges, w.snapshot(ag), ignoreIDs); diff != "" {
						t.Errorf("agreement %d (-want +got):\n%s", ag, diff)
					}
				}
			}
			// The next cycle makes up for what failed; it never finds duplicates.
			next := planFor(t, w, desired)
			if _, err := Apply(t.Context(), next, w, WithBackoff(0)); err != nil {
				t.Fatalf("second Apply: %v", err)
			}
			if again := planFor(t, w, desired); !again.Empty() {
				t.Errorf("after a second cycle the plan is not empty:\n%s", again)
			}
		})
	}
}

func TestApplyCountsNoOps(t *testing.T) {
	t.Parallel()
	w := newFakeWriter(map[int][]Charge{7: {owned(1, "A", 3, 100, 1)}})
	plan := planFor(t, w, map[int][]Charge{7: {want("A", 3, 100, 1)}})
	res, err := Apply(t.Context(), plan, w)
	if err != nil || !cmp.Equal(res, Result{Unchanged: 1}) {
		t.Errorf("Apply = %+v, %v; want one unchanged", res, err)
	}
	if slices.ContainsFunc(w.calls, func(c string) bool { return !strings.HasPrefix(c, "list") }) {
		t.Errorf("a no-op plan wrote: %q", w.calls)
	}
}

func TestApplyHonoursContext(t *testing.T) {
	t.Parallel()
	existing, desired := applyWorld()
	w := newFakeWriter(existing)
	plan := planFor(t, w, desired)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	res, err := Apply(ctx, plan, w)
	if !errors.Is(err, context.Canceled) || len(res.Failed) != 4 {
		t.Errorf("Apply with a cancelled context = %+v, %v; want 4 failures wrapping context.Canceled", res, err)
	}

	// A long backoff ends with the context.
	w.inject(fault{op: "delete", err: errDropped})
	ctx, cancel = context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err = Apply(ctx, plan, w, WithBackoff(time.Hour), WithAttempts(5))
	if time.Since(start) > time.Minute {
		t.Fatal("Apply waited out its backoff despite the context")
	}
	if !errors.Is(err, context.DeadlineExceeded) || !slices.ContainsFunc(res.Failed, func(f *ChangeError) bool { return f.Action == Delete }) {
		t.Errorf("Apply = %+v, %v; want the delete to fail with the deadline", res, err)
	}
}

func TestApplyCreateCancelledMidway(t *testing.T) {
	t.Parallel()
	w := newFakeWriter(map[int][]Charge{7: nil})
	plan := planFor(t, w, map[int][]Charge{7: {want("A", 3, 100, 1)}})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cw := &cancelOnCreate{fakeWriter: w, cancel: cancel}
	_, err := Apply(ctx, plan, cw, WithBackoff(0))
	if err == nil || !strings.Contains(err.Error(), "may have been created") {
		t.Errorf("Apply = %v; want an error saying the charge may have been created", err)
	}
	if got := len(w.snapshot(7)); got != 1 {
		t.Errorf("agreement holds %d charges, want the 1 created before the cancel", got)
	}
}

// cancelOnCreate applies a create, then cancels the context and fails, as a
// caller giving up mid-request would see it.
type cancelOnCreate struct {
	*fakeWriter
	cancel context.CancelFunc
}

func (c *cancelOnCreate) Create(ctx context.Context, agreement int, ch Charge) (int64, error) {
	if _, err := c.fakeWriter.Create(ctx, agreement, ch); err != nil {
		return 0, err
	}
	c.cancel()
	return 0, context.Canceled
}

func TestApplyNilWriter(t *testing.T) {
	t.Parallel()
	plan := Diff(7, []Charge{want("A", 1, 100, 1)}, nil)
	if _, err := Apply(t.Context(), plan, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("Apply with a nil writer: %v, want ErrInvalidConfig", err)
	}
}

func TestApplyLogs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	w := newFakeWriter(map[int][]Charge{7: nil})
	plan := planFor(t, w, map[int][]Charge{7: {want("A", 3, 100, 1), want("B", 1, 100, 1)}})
	w.inject(fault{op: "create", item: "B", err: fmt.Errorf("no: %w", ErrRejected)})
	if _, err := Apply(t.Context(), plan, w, WithLogger(logger), WithAttempts(0)); err == nil {
		t.Fatal("Apply succeeded despite a rejected create")
	}
	for _, want := range []string{`change="+ agreement 7 item A qty 3 @ 1.00"`, "change failed", "item=B"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, buf.String())
		}
	}
}
