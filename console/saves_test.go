package console

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// pricebookForm is the Price book items form of c with one item for
// KESB Advanced (app index 1 of the catalog).
func pricebookForm(t *testing.T, c *client, item string) url.Values {
	t.Helper()
	code, body := c.get("/pricebook")
	if code != http.StatusOK {
		t.Fatalf("GET /pricebook: %d", code)
	}
	f := c.form("/pricebook")
	f.Set("base", baseOf(t, body))
	f.Set("action", "save")
	f.Set("app.1", "kesb-advanced")
	f.Set("item.1", item)
	f.Set("app.11", "kes-cloud-plus")
	f.Set("item.11", "KESC-PLUS")
	return f
}

func baseOf(t *testing.T, body string) string {
	t.Helper()
	const mark = `name="base" value="`
	i := strings.Index(body, mark)
	if i < 0 {
		t.Log("no base field on the page")
		return ""
	}
	rest := body[i+len(mark):]
	return html.UnescapeString(rest[:strings.IndexByte(rest, '"')])
}

// noRedirects makes c show redirects instead of following them.
func noRedirects(c *client) *client {
	c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// TestSaveRedirectsAndRepeatIsSaved: a save answers 303 to the page (a
// reload does not post again); the same form posted again (a double-click)
// is answered as saved, not as a conflict, and writes nothing.
func TestSaveRedirectsAndRepeatIsSaved(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := noRedirects(w.serve(t))
	f := pricebookForm(t, c, "KESB-ADV-WS")
	resp, err := c.hc.PostForm(c.srv.URL+"/pricebook", f)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "pricebook" {
		t.Fatalf("save: %d Location %q, want 303 to pricebook", resp.StatusCode, resp.Header.Get("Location"))
	}
	rev := w.saved(t).Revision
	code, body := c.get("/pricebook")
	mustContain(t, body, "Saved.")
	if code != http.StatusOK {
		t.Errorf("GET after the save: %d", code)
	}
	resp, err = c.hc.PostForm(c.srv.URL+"/pricebook", f) // the second click
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the repeated save: %d, want 303 (already saved)", resp.StatusCode)
	}
	_, body = c.get("/pricebook")
	mustContain(t, body, "Saved.")
	mustNotContain(t, body, "conflict")
	if got := w.saved(t).Revision; got != rev {
		t.Errorf("the repeated save wrote: revision %d -> %d", rev, got)
	}
}

// TestSaveConflictNeedsTheSameSection: a save of the price book is not
// refused because the Accounts tab was saved in between; one whose section
// someone else changed is refused, saying what they changed.
func TestSaveConflictNeedsTheSameSection(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := noRedirects(w.serve(t))
	f := pricebookForm(t, c, "KESB-ADV-WS")
	other := w.saved(t)
	other.Tenants[1].Account = &mapping.AccountMapping{Number: 102}
	if _, err := w.store.Save(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	code, body := c.post("/pricebook", f)
	if code != http.StatusSeeOther {
		t.Fatalf("price book save after an accounts save: %d, want 303\n%s", code, body)
	}
	got := w.saved(t)
	if items, _ := got.PriceBook.Lookup("kesb-advanced"); items.Item != "KESB-ADV-WS" {
		t.Errorf("price book not saved: %+v", got.PriceBook)
	}
	if diff := cmp.Diff(other.Tenants, got.Tenants); diff != "" {
		t.Errorf("the accounts save was overwritten:\n%s", diff)
	}

	// Someone else changes the price book: the form's save is refused.
	f = pricebookForm(t, c, "KESB-ADV-SRV")
	other = w.saved(t)
	other.PriceBook.Apps[0] = mapping.SingleItem("kes-cloud-plus", "KESB-ADV-NW")
	if _, err := w.store.Save(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	want := w.saved(t)
	code, body = c.post("/pricebook", f)
	if code != http.StatusUnprocessableEntity {
		t.Errorf("conflicting save: %d, want 422", code)
	}
	mustContain(t, html.UnescapeString(body), "revision conflict", "Kaspersky Endpoint Security Cloud Plus: was item KESC-PLUS, now item KESB-ADV-NW")
	if diff := cmp.Diff(want, w.saved(t)); diff != "" {
		t.Errorf("the other save was overwritten:\n%s", diff)
	}
}

// TestErrorsNameWhatTheMSPKnows: a refused save names the virtual server and
// the account, not their ids.
func TestErrorsNameWhatTheMSPKnows(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	_, body := c.post("/accounts", accountsForm(c, "103", "", "2", true))
	text := html.UnescapeString(body)
	mustContain(t, text, "account Northwind Traders (103) is not cross-referenced to the integration's External Product")
	mustNotContain(t, text, "external product 7", `tenant "vs-1"`)
}

// TestEmptySearchSaysSo: a search that matches nothing says so.
func TestEmptySearchSaysSo(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	_, body := c.get("/accounts?q=zzz")
	mustContain(t, html.UnescapeString(body), "No virtual server name contains “zzz”")
}

// TestResetWordsBySolution: the Reset messages of a KSC integration speak of
// virtual servers.
func TestResetWordsBySolution(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	f := c.form("/companies")
	f.Set("action", "reset")
	_, body := c.post("/companies", f)
	mustContain(t, body, "no virtual server in the integration")
	f = c.form("/accounts")
	f.Set("action", "reset")
	_, body = c.post("/accounts", f)
	mustContain(t, body, "every virtual server unmapped")
	mustNotContain(t, body, "company")
}
