package billing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// errDropped stands for a connection that dropped: the writer cannot tell
// whether the server acted.
var errDropped = errors.New("connection reset by peer")

// fault is an error the fake writer returns from one matching call.
type fault struct {
	op        string // "list", "create", "update", "delete"
	agreement int    // 0: any
	item      string // "": any (create, update)
	// applied makes the fake carry out the write before it fails: the server
	// acted, then the connection dropped.
	applied bool
	// altered (with applied) stores the charge with a quantity one higher than
	// asked, as a server that changed it on the way would.
	altered bool
	err     error
}

// fakeWriter is an in-memory ChargeWriter with injected faults. It rejects
// writes to agreements it does not hold, like Tigerpaw refuses a charge on an
// unknown agreement.
type fakeWriter struct {
	mu      sync.Mutex
	charges map[int][]Charge
	nextID  int64
	faults  []fault
	calls   []string
}

func newFakeWriter(agreements map[int][]Charge) *fakeWriter {
	w := &fakeWriter{charges: map[int][]Charge{}, nextID: 1000}
	for ag, cs := range agreements {
		w.charges[ag] = slices.Clone(cs)
		for _, c := range cs {
			w.nextID = max(w.nextID, c.DetailID+1)
		}
	}
	return w
}

// inject queues faults; each fires once, on the first matching call.
func (w *fakeWriter) inject(fs ...fault) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.faults = append(w.faults, fs...)
}

// takeFault removes and returns the first fault matching the call.
func (w *fakeWriter) takeFault(op string, agreement int, item string) (fault, bool) {
	for i, f := range w.faults {
		if f.op == op && (f.agreement == 0 || f.agreement == agreement) && (f.item == "" || f.item == item) {
			w.faults = slices.Delete(w.faults, i, i+1)
			return f, true
		}
	}
	return fault{}, false
}

func (w *fakeWriter) List(ctx context.Context, agreement int) ([]Charge, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, fmt.Sprintf("list %d", agreement))
	if f, ok := w.takeFault("list", agreement, ""); ok {
		return nil, f.err
	}
	cs, ok := w.charges[agreement]
	if !ok {
		return nil, fmt.Errorf("agreement %d: %w", agreement, ErrRejected)
	}
	return slices.Clone(cs), nil
}

func (w *fakeWriter) Create(ctx context.Context, agreement int, c Charge) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, fmt.Sprintf("create %d %s", agreement, c.ItemID))
	f, faulty := w.takeFault("create", agreement, c.ItemID)
	if faulty && !f.applied {
		return 0, f.err
	}
	if _, ok := w.charges[agreement]; !ok {
		return 0, fmt.Errorf("agreement %d is not a recurring agreement: %w", agreement, ErrRejected)
	}
	if c.DetailID != 0 {
		return 0, fmt.Errorf("create with DetailID %d: %w", c.DetailID, ErrRejected)
	}
	w.nextID++
	c.DetailID = w.nextID
	if faulty && f.altered {
		c.Quantity++
	}
	w.charges[agreement] = append(w.charges[agreement], c)
	if faulty {
		return 0, f.err
	}
	return c.DetailID, nil
}

func (w *fakeWriter) Update(ctx context.Context, agreement int, c Charge) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, fmt.Sprintf("update %d %d", agreement, c.DetailID))
	f, faulty := w.takeFault("update", agreement, c.ItemID)
	if faulty && !f.applied {
		return f.err
	}
	cs := w.charges[agreement]
	i := slices.IndexFunc(cs, func(x Charge) bool { return x.DetailID == c.DetailID })
	if i < 0 {
		return fmt.Errorf("charge %d of agreement %d: %w", c.DetailID, agreement, ErrNotFound)
	}
	cs[i] = c
	if faulty {
		return f.err
	}
	return nil
}

func (w *fakeWriter) Delete(ctx context.Context, agreement int, detailID int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, fmt.Sprintf("delete %d %d", agreement, detailID))
	f, faulty := w.takeFault("delete", agreement, "")
	if faulty && !f.applied {
		return f.err
	}
	cs := w.charges[agreement]
	i := slices.IndexFunc(cs, func(x Charge) bool { return x.DetailID == detailID })
	if i < 0 {
		return fmt.Errorf("charge %d of agreement %d: %w", detailID, agreement, ErrNotFound)
	}
	w.charges[agreement] = slices.Delete(cs, i, i+1)
	if faulty {
		return f.err
	}
	return nil
}

// snapshot returns the agreement's charges sorted by DetailID.
func (w *fakeWriter) snapshot(agreement int) []Charge {
	w.mu.Lock()
	defer w.mu.Unlock()
	cs := slices.Clone(w.charges[agreement])
	slices.SortFunc(cs, func(a, b Charge) int { return cmp.Compare(a.DetailID, b.DetailID) })
	return cs
}
