package billing

import (
	"context"
	"errors"
	"testing"
)

// cuttingWriter lists the charges of a fakeWriter with their descriptions cut
// to the first n bytes, as a server with a short description column would.
type cuttingWriter struct {
	*fakeWriter
	n int
}

func (w cuttingWriter) List(ctx context.Context, agreement int) ([]Charge, error) {
	cs, err := w.fakeWriter.List(ctx, agreement)
	for i := range cs {
		if len(cs[i].Description) > w.n {
			cs[i].Description = cs[i].Description[:w.n]
		}
	}
	return cs, err
}

// TestApplyCreateRereadMustBeConsistent: after a create that may have been
// applied, the agreement's charges are read back; a list that contradicts
// itself (the charge just written shows only the start of the marker) must
// not be taken for "not created", or the charge is created twice.
func TestApplyCreateRereadMustBeConsistent(t *testing.T) {
	t.Parallel()
	fw := newFakeWriter(map[int][]Charge{1043: nil})
	fw.inject(fault{op: "create", applied: true, err: errDropped})
	w := cuttingWriter{fakeWriter: fw, n: len(OwnerMarker) - 3}
	want := Charge{ItemID: "KESB-ADV-WS", Description: Describe("workstations"), Quantity: 90, Price: 400, PriceLevel: 2}
	plan := Plan{Changes: []Change{{Action: Create, Agreement: 1043, ItemID: want.ItemID, Desired: want}}}
	res, err := Apply(t.Context(), plan, w, WithBackoff(0))
	if n := len(fw.snapshot(1043)); n != 1 {
		t.Errorf("charges on the agreement: %d, want 1 (created once)", n)
	}
	if err == nil || len(res.Failed) != 1 || !errors.Is(err, ErrInconsistentCharges) {
		t.Errorf("result %+v, err %v: want the create failed, naming the inconsistent list", res, err)
	}
}
