package kasperskytigerpaw

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksc"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksctest"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

// The tests of this file run the real BillingJob and ServiceOrderJob over the
// KSC and Tigerpaw fakes, with KSC answering one tenant's reads short, empty or
// shape-less: no charge may change, no order may close, and the tenant must be
// reported as failed.

const (
	trustTenants = 2
	// trustDevices gives tenant 0 a device with a status problem (device 25),
	// hence an open status order, and non-Windows devices on a second key.
	trustDevices = 30
)

// trustJobs wires the jobs over w as scaleWorld.jobs does, signing in to KSC
// with password, and records the jobs' cycle results.
type trustJobs struct {
	*scaleJobs
	results []CycleResult
}

func newTrustJobs(t *testing.T, w *scaleWorld, store serviceorder.Store, password string) *trustJobs {
	t.Helper()
	kc, err := ksc.NewClient(w.ksc.URL,
		ksc.WithHTTPClient(&http.Client{Transport: w.kscCount}),
		ksc.WithCredentials(ksc.Credentials{User: scaleUser, Password: password, Internal: true}),
		ksc.WithRetryPolicy(ksc.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}),
		ksc.WithClock(w.clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kc.Close(context.Background()) })
	tp := w.tp.Client(t, tigerpaw.WithHTTPClient(&http.Client{Transport: w.tpCount}), tigerpaw.WithClock(w.clock))
	src := NewCycleSource(ksc.NewSource(kc))
	desk, err := NewDesk(tp)
	if err != nil {
		t.Fatal(err)
	}
	runner, err := serviceorder.NewRunner(desk, store, serviceorder.WithClock(w.clock))
	if err != nil {
		t.Fatal(err)
	}
	j := &trustJobs{scaleJobs: &scaleJobs{
		kscClient: kc,
		source:    src,
		billing: &BillingJob{Source: src, Tigerpaw: tp, Now: w.clock, Concurrency: 1,
			ApplyOptions: []billing.ApplyOption{billing.WithBackoff(time.Millisecond)}},
		orders: &ServiceOrderJob{Source: src, Runner: runner, Now: w.clock, Concurrency: 1},
	}}
	record := func(r CycleResult) { j.results = append(j.results, r) }
	j.billing.OnCycle, j.orders.OnCycle = record, record
	return j
}

// tenantErrors returns the errors the last cycle results report for tenant.
func (j *trustJobs) tenantErrors(job, tenant string) []string {
	for i := len(j.results) - 1; i >= 0; i-- {
		if j.results[i].Job != job {
			continue
		}
		for _, o := range j.results[i].Tenants {
			if o.Tenant == tenant {
				return o.Errors
			}
		}
		return nil
	}
	return nil
}

// trustWorld is a scale world after a first clean cycle: charges on both
// agreements, a status order and an event order open for each tenant.
func trustWorld(t *testing.T) (*scaleWorld, serviceorder.Store) {
	t.Helper()
	w := newScaleWorld(t, trustTenants, trustDevices)
	store := serviceorder.NewMemoryStore()
	j := newTrustJobs(t, w, store, scalePassword)
	if _, _, err := w.cycle(t.Context(), j.scaleJobs); err != nil {
		t.Fatalf("clean cycle: %v", err)
	}
	st := w.campaignState()
	open := 0
	for _, orders := range st.Orders {
		for _, o := range orders {
			if strings.HasPrefix(o, "tenant 0 ") && strings.HasSuffix(o, " open") {
				open++
			}
		}
	}
	if len(st.Charges["tenant 0 main"]) == 0 || len(st.Charges["tenant 1 main"]) == 0 || open < 2 {
		t.Fatalf("the clean cycle left %+v; want charges on both tenants and orders open for tenant 0", st)
	}
	w.advance(time.Hour)
	return w, store
}

// editJSON returns a Fault.Rewrite that decodes an answer, edits it and
// encodes it again.
func editJSON(t *testing.T, edit func(m map[string]any)) func([]byte) []byte {
	return func(b []byte) []byte {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("answer %s: %v", b, err)
			return b
		}
		edit(m)
		out, _ := json.Marshal(m)
		return out
	}
}

func itemsOf(m map[string]any, container string) []any {
	a, _ := m[container].(map[string]any)["KLCSP_ITERATOR_ARRAY"].([]any)
	return a
}

func setItems(m map[string]any, container string, a []any) {
	m[container].(map[string]any)["KLCSP_ITERATOR_ARRAY"] = a
}

func TestReadTrustKSCIncompleteReadsChangeNothing(t *testing.T) {
	t.Parallel()
	vs0 := scaleVS(0)
	chunk, next := "ChunkAccessor.GetItemsChunk", "GroupSyncIterator.GetNextItems"
	big := append(append([]byte(`{"PxgRetVal":"`), bytes.Repeat([]byte("a"), 4<<20)...), `"}`...)
	type fault struct {
		method string
		f      func(t *testing.T) ksctest.Fault
	}
	body := func(method, b string) fault {
		return fault{method, func(*testing.T) ksctest.Fault { return ksctest.Fault{Body: []byte(b)} }}
	}
	pass := func(method string) fault {
		return fault{method, func(*testing.T) ksctest.Fault { return ksctest.Fault{} }}
	}
	tests := []struct {
		name   string
		faults []fault // on tenant 0's reads, in call order
	}{
		{"empty chunk before the accessor's count", []fault{
			{chunk, func(t *testing.T) ksctest.Fault {
				return ksctest.Fault{Rewrite: editJSON(t, func(m map[string]any) {
					setItems(m, "pChunk", itemsOf(m, "pChunk")[trustDevices/2:])
					m["PxgRetVal"] = trustDevices / 2
				})}
			}},
			body(chunk, `{"pChunk":{"KLCSP_ITERATOR_ARRAY":[]},"PxgRetVal":0}`),
		}},
		{"chunk without pChunk", []fault{body(chunk, `{}`)}},
		{"pChunk null", []fault{body(chunk, `{"pChunk":null}`)}},
		{"pChunk empty object", []fault{body(chunk, `{"pChunk":{}}`)}},
		{"items null", []fault{body(chunk, `{"pChunk":{"KLCSP_ITERATOR_ARRAY":null}}`)}},
		{"items without a host id", []fault{{chunk, func(t *testing.T) ksctest.Fault {
			return ksctest.Fault{Rewrite: editJSON(t, func(m map[string]any) {
				for _, it := range itemsOf(m, "pChunk") {
					delete(it.(map[string]any)["value"].(map[string]any), "KLHST_WKS_HOSTNAME")
				}
			})}
		}}}},
		{"big PxgRetVal string", []fault{{chunk, func(*testing.T) ksctest.Fault { return ksctest.Fault{Body: big} }}}},
		{"empty key-host page without bEOF", []fault{
			pass(next), // the keys
			body(next, `{"pData":{"KLCSP_ITERATOR_ARRAY":[]},"bEOF":false,"PxgRetVal":true}`),
		}},
		{"half the key's hosts then bEOF", []fault{
			pass(next),
			{next, func(t *testing.T) ksctest.Fault {
				return ksctest.Fault{Rewrite: editJSON(t, func(m map[string]any) {
					setItems(m, "pData", itemsOf(m, "pData")[:trustDevices/2])
					m["bEOF"] = true
				})}
			}},
		}},
		{"a key counted by EnumKeys missing from the page", []fault{{next, func(t *testing.T) ksctest.Fault {
			return ksctest.Fault{Rewrite: editJSON(t, func(m map[string]any) {
				setItems(m, "pData", itemsOf(m, "pData")[1:])
			})}
		}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, store := trustWorld(t)
			before := w.campaignState()
			// Both jobs read tenant 0 (a failed read is not kept for the
			// cycle): each read meets the faults.
			for range 2 {
				for _, f := range tt.faults {
					fl := f.f(t)
					fl.VirtualServer = vs0
					w.ksc.InjectFault(f.method, fl)
				}
			}
			j := newTrustJobs(t, w, store, scalePassword)
			_, _, _ = w.cycle(t.Context(), j.scaleJobs)
			if d := cmp.Diff(before, w.campaignState()); d != "" {
				t.Errorf("Tigerpaw changed (-before +after):\n%s", d)
			}
			if errs := j.tenantErrors(JobBilling, scaleTenantID(0)); len(errs) == 0 {
				t.Errorf("billing reports no error for tenant 0: %+v", j.results)
			}
			if errs := j.tenantErrors(JobBilling, scaleTenantID(1)); len(errs) != 0 {
				t.Errorf("billing reports errors for tenant 1: %v", errs)
			}
			if n := w.ksc.OpenHandles(); n != 0 {
				t.Errorf("%d KSC result sets left open", n)
			}
		})
	}
}

func TestReadTrustKSCWrongPassword(t *testing.T) {
	t.Parallel()
	w, store := trustWorld(t)
	before := w.campaignState()
	logins := w.ksc.Requests("Session.StartSession")
	j := newTrustJobs(t, w, store, "not-the-password")
	_, _, err := w.cycle(t.Context(), j.scaleJobs)
	if d := cmp.Diff(before, w.campaignState()); d != "" {
		t.Errorf("Tigerpaw changed (-before +after):\n%s", d)
	}
	if n := w.ksc.Requests("Session.StartSession") - logins; n > 2 {
		t.Errorf("KSC saw %d refused logins in one cycle, want at most 2", n)
	}
	failed := err != nil
	for _, r := range j.results {
		failed = failed || r.Err != nil
		for _, o := range r.Tenants {
			failed = failed || len(o.Errors) > 0
		}
	}
	if !failed {
		t.Errorf("the cycle reports no failure: %+v", j.results)
	}
	// The source's error says why.
	_, ierr := j.source.Inventory(t.Context(), scaleTenantID(0))
	if !errors.Is(ierr, kaspersky.ErrUnauthorized) {
		t.Errorf("inventory error %v, want kaspersky.ErrUnauthorized", ierr)
	}
}
