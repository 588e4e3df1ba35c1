package tigerpaw_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// Notes are added, listed oldest first and read strictly; a reopen sets a
// closed order back to a status that is not closed and clears its close date.
func TestServiceOrderNotesAndReopen(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	ctx := t.Context()
	so := c.ServiceOrders
	created, err := so.Create(ctx, newOrder("KTG-NOTES"))
	if err != nil {
		t.Fatal(err)
	}
	n := created.ServiceOrderNumber
	if notes, err := so.Notes(ctx, n); err != nil || len(notes) != 0 {
		t.Fatalf("notes of a new order: %v, %v", notes, err)
	}
	for _, text := range []string{"first repeat", "second repeat"} {
		if _, err := so.AddNote(ctx, n, tigerpaw.NewServiceOrderNote{Topic: "Kaspersky", Note: text}); err != nil {
			t.Fatal(err)
		}
	}
	notes, err := so.Notes(ctx, n)
	if err != nil || len(notes) != 2 || notes[0].Note != "first repeat" || notes[1].Topic != "Kaspersky" || notes[0].ServiceOrderNoteNumber <= 0 {
		t.Fatalf("notes: %+v, %v", notes, err)
	}
	if _, err := so.AddNote(ctx, n, tigerpaw.NewServiceOrderNote{Topic: "x"}); err == nil {
		t.Fatal("an empty note was sent")
	}
	if _, err := so.Notes(ctx, 999999); !errors.Is(err, tigerpaw.ErrNotFound) {
		t.Fatalf("notes of a missing order: %v", err)
	}

	// A note is not idempotent: a failure after the server applied it is not
	// retried by the client.
	srv.FailNext(http.MethodPost, "/api/serviceorders/{n}/notes", 1, tigerpawtest.Fault{Status: http.StatusServiceUnavailable, AfterApply: true})
	if _, err := so.AddNote(ctx, n, tigerpaw.NewServiceOrderNote{Note: "third"}); err == nil {
		t.Fatal("the injected failure was not reported")
	}
	if got, _ := srv.ServiceOrder(n); len(got.Notes) != 3 {
		t.Fatalf("%d notes after a failed add that was applied, want 3 (no retry)", len(got.Notes))
	}

	// A broken list is an error, never "no notes".
	srv.FailNext(http.MethodGet, "/api/serviceorders/{n}/notes", 1, tigerpawtest.Fault{Rewrite: func([]byte) []byte { return []byte("null") }})
	if _, err := so.Notes(ctx, n); !errors.Is(err, tigerpaw.ErrMalformedResponse) {
		t.Fatalf("a null list: %v", err)
	}
	srv.FailNext(http.MethodGet, "/api/serviceorders/{n}/notes", 1, tigerpawtest.Fault{Rewrite: func(b []byte) []byte {
		return []byte(strings.Replace(string(b), `"ServiceOrderNoteNumber":`, `"Other":`, 1))
	}})
	if _, err := so.Notes(ctx, n); !errors.Is(err, tigerpaw.ErrMalformedResponse) {
		t.Fatalf("a note without its number: %v", err)
	}

	if _, err := so.Close(ctx, n, tigerpaw.CloseServiceOrder{Status: "Closed"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := so.Get(ctx, n); got.ServiceOrder.DateTimeClosed.IsZero() {
		t.Fatal("closed order without close date")
	}
	reopened, err := so.Reopen(ctx, n, "New")
	if err != nil {
		t.Fatal(err)
	}
	if reopened.ServiceOrder.Status != "New" || !reopened.ServiceOrder.DateTimeClosed.IsZero() {
		t.Fatalf("reopened: %+v", reopened.ServiceOrder)
	}
	srv.LockServiceOrder(n, tigerpawtest.Lock{RepName: "Dana Tech"})
	if _, err := so.Reopen(ctx, n, "New"); !errors.Is(err, tigerpaw.ErrLocked) {
		t.Fatalf("reopen of a locked order: %v", err)
	}
}
