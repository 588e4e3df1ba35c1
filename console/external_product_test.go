package console

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// productFormRE is the External Product form of the Accounts tab: its hidden
// fields and its drop-down.
var productFormRE = regexp.MustCompile(`(?s)<form method="post" action="externalproduct" id="product-form">\s*` +
	`<input type="hidden" name="csrf" value="([0-9a-f]+)">\s*<input type="hidden" name="revision" value="(\d+)">\s*` +
	`<input type="hidden" name="base" value="([^"]*)">.*?<select name="externalProduct" id="externalProduct"[^>]*>(.*?)</select>`)

// productPage loads the Accounts tab and returns its External Product form
// (with id chosen) and the drop-down's options as "value=label" ("*" after
// the selected one).
func productPage(t *testing.T, c *client, id string) (url.Values, []string) {
	t.Helper()
	code, body := c.get("/accounts")
	m := productFormRE.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("GET /accounts: %d, no External Product form\n%s", code, body)
	}
	var opts []string
	for _, o := range regexp.MustCompile(`<option value="([^"]*)"( selected)?>([^<]*)</option>`).FindAllStringSubmatch(m[4], -1) {
		s := o[1] + "=" + html.UnescapeString(o[3])
		if o[2] != "" {
			s += " *"
		}
		opts = append(opts, s)
	}
	f := url.Values{"csrf": {m[1]}, "revision": {m[2]}, "base": {m[3]}, "externalProduct": {id}, "action": {"save"}}
	return f, opts
}

// TestExternalProductChosenInTheConsole: the Accounts tab offers Tigerpaw's
// active External Products (not the inactive one), the saved one selected,
// with an accessible name; a save stores the chosen one through the safe-save
// path (a redirect saying Saved); the page then selects it.
func TestExternalProductChosenInTheConsole(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	f, opts := productPage(t, c, strconv.Itoa(otherProduct))
	want := []string{"=Select External Product", "7=Kaspersky Security Integration (id 7) *", "8=Other RMM (id 8)"}
	if diff := cmp.Diff(want, opts); diff != "" {
		t.Errorf("External Products offered (-want +got):\n%s", diff)
	}
	_, body := c.get("/accounts")
	mustContain(t, body, `<label for="externalProduct">External Product</label>`)
	if n := w.dir.Calls("ExternalProducts"); n != 2 {
		t.Errorf("two page views listed the External Products %d times, want once per view", n)
	}

	before := w.saved(t)
	code, body := c.post("/externalproduct", f)
	if code != http.StatusOK {
		t.Fatalf("save: %d\n%s", code, body)
	}
	mustContain(t, body, "Saved: the External Product.")
	got := w.saved(t)
	if got.ExternalProductID != otherProduct || got.Revision != before.Revision+1 {
		t.Errorf("stored External Product %d at revision %d; want %d at %d", got.ExternalProductID, got.Revision, otherProduct, before.Revision+1)
	}
	got.ExternalProductID, got.Revision = before.ExternalProductID, before.Revision
	if diff := cmp.Diff(before, got); diff != "" {
		t.Errorf("the save changed more than the External Product:\n%s", diff)
	}
	if _, opts := productPage(t, c, ""); !strings.HasSuffix(opts[2], " *") {
		t.Errorf("after the save the drop-down selects %v, want id 8", opts)
	}
	// The same form posted again (a double click) is answered as saved.
	if code, body := c.post("/externalproduct", f); code != http.StatusOK || !strings.Contains(body, "Saved") {
		t.Errorf("the same save again: %d\n%s", code, body)
	}
	if got := w.saved(t); got.ExternalProductID != otherProduct || got.Revision != before.Revision+1 {
		t.Errorf("the repeated save wrote: product %d, revision %d", got.ExternalProductID, got.Revision)
	}
}

// TestExternalProductNotInTheListIsRefused: an id that is not one of
// Tigerpaw's active External Products (unknown, inactive, malformed) is
// refused with a message naming the field, and nothing is stored.
func TestExternalProductNotInTheListIsRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ id, want string }{
		{"99", "External Product: id 99 is not an active External Product in Tigerpaw"},
		{strconv.Itoa(retiredProduct), "External Product: id 9 is not an active External Product in Tigerpaw"},
		{"-3", `External Product: "-3" is not an External Product id`},
		{"seven", `External Product: "seven" is not an External Product id`},
	} {
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			c := w.serve(t)
			f, _ := productPage(t, c, tc.id)
			before := w.saved(t)
			code, body := c.post("/externalproduct", f)
			if code != http.StatusUnprocessableEntity {
				t.Errorf("status %d, want 422", code)
			}
			mustContain(t, body, "Not saved", tc.want)
			if !regexp.MustCompile(`id="externalProduct"[^>]*aria-invalid="true"`).MatchString(body) ||
				!regexp.MustCompile(`</select><span class="field-error">`+regexp.QuoteMeta(html.EscapeString(tc.want))).MatchString(body) {
				t.Errorf("no error next to the External Product drop-down:\n%s", body)
			}
			if diff := cmp.Diff(before, w.saved(t)); diff != "" {
				t.Errorf("store changed on a refused External Product:\n%s", diff)
			}
		})
	}
}

// TestExternalProductListFailure: when Tigerpaw's list cannot be read, the
// Accounts tab says so and keeps the current External Product (no drop-down
// to change it), the rest of the tab still works; a save posted meanwhile is
// refused and stores nothing.
func TestExternalProductListFailure(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	f, _ := productPage(t, c, strconv.Itoa(otherProduct))
	before := w.saved(t)

	w.dir.FailNext("ExternalProducts", errors.New("tigerpaw: GET /api/mastertables/externalproducts: 503 Service Unavailable"))
	code, body := c.get("/accounts")
	if code != http.StatusOK {
		t.Fatalf("GET /accounts with the list failing: %d\n%s", code, body)
	}
	mustContain(t, body, "The External Products could not be read from Tigerpaw", "503 Service Unavailable", "The External Product stays id 7",
		`id="account-0"`)
	mustNotContain(t, body, `id="externalProduct"`)

	w.dir.FailNext("ExternalProducts", errors.New("tigerpaw: GET /api/mastertables/externalproducts: 503 Service Unavailable"))
	code, body = c.post("/externalproduct", f)
	if code != http.StatusBadGateway {
		t.Errorf("save with the list failing: %d, want 502", code)
	}
	mustContain(t, body, "Not saved: reading Tigerpaw's External Products", "The External Product is unchanged.")
	if diff := cmp.Diff(before, w.saved(t)); diff != "" {
		t.Errorf("store changed while the list could not be read:\n%s", diff)
	}
}

// TestExternalProductValidatedWithTheMapping: a product the accounts with
// billing on are not cross-referenced to is refused by the mapping's
// validation, named next to the account's billing; nothing is stored.
func TestExternalProductValidatedWithTheMapping(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.serve(t)
	if code, body := c.post("/accounts", accountsForm(c, "101", "501", "2", true)); code != http.StatusOK {
		t.Fatalf("map with billing: %d\n%s", code, body)
	}
	before := w.saved(t)
	f, _ := productPage(t, c, strconv.Itoa(otherProduct))
	code, body := c.post("/externalproduct", f)
	if code != http.StatusUnprocessableEntity {
		t.Errorf("status %d, want 422", code)
	}
	text := html.UnescapeString(body)
	mustContain(t, text, "Not saved", "is not cross-referenced to the integration's External Product (id 8)")
	if !regexp.MustCompile(`id="billing-0"[^>]*> Automatic billing</label>\s*<span class="field-error">`).MatchString(body) {
		t.Errorf("no error next to the billing of the account:\n%s", body)
	}
	if !regexp.MustCompile(`<option value="8" selected>`).MatchString(body) {
		t.Errorf("the refused choice is not shown selected:\n%s", body)
	}
	if diff := cmp.Diff(before, w.saved(t)); diff != "" {
		t.Errorf("store changed on a refused External Product:\n%s", diff)
	}
}

// TestExternalProductRequiredForBilling: an integration without an External
// Product (a daemon started empty) cannot save billing until one is chosen in
// the console; the required product is named next to its drop-down.
func TestExternalProductRequiredForBilling(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cfg := w.saved(t)
	cfg.ExternalProductID = 0
	if _, err := w.store.Save(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	c := w.serve(t)
	_, opts := productPage(t, c, "")
	if len(opts) == 0 || opts[0] != "=Select External Product *" {
		t.Errorf("an integration without an External Product selects %v", opts)
	}
	code, body := c.post("/accounts", accountsForm(c, "101", "501", "2", true))
	if code != http.StatusUnprocessableEntity {
		t.Errorf("billing without an External Product: %d, want 422", code)
	}
	if !regexp.MustCompile(`(?s)id="externalProduct"[^>]*aria-invalid="true".*?</select><span class="field-error">[^<]*external product they must be cross-referenced to is required`).MatchString(body) {
		t.Errorf("the required External Product is not named next to its drop-down:\n%s", body)
	}
	f, _ := productPage(t, c, strconv.Itoa(extProduct))
	if code, body := c.post("/externalproduct", f); code != http.StatusOK {
		t.Fatalf("save the External Product: %d\n%s", code, body)
	}
	if code, body := c.post("/accounts", accountsForm(c, "101", "501", "2", true)); code != http.StatusOK {
		t.Fatalf("billing after choosing the External Product: %d\n%s", code, body)
	}
	got := w.saved(t)
	if got.ExternalProductID != extProduct || got.Tenants[0].Account == nil || !got.Tenants[0].Account.Billing.Enabled {
		t.Errorf("stored: product %d, tenant %+v", got.ExternalProductID, got.Tenants[0])
	}
}

// TestExternalProductDefaultOfANewIntegration: with nothing stored, the
// option's External Product is only the default shown selected; nothing is
// stored until a save, and the console's choice replaces it.
func TestExternalProductDefaultOfANewIntegration(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.store = mapping.NewMemoryStore()
	w.opts.Store, w.opts.ExternalProductID = w.store, otherProduct
	c := w.serve(t)
	f, opts := productPage(t, c, strconv.Itoa(extProduct))
	if len(opts) < 3 || opts[2] != "8=Other RMM (id 8) *" {
		t.Errorf("a new integration's default is not selected: %v", opts)
	}
	if _, err := w.store.Load(context.Background(), "main"); !errors.Is(err, mapping.ErrNotFound) {
		t.Errorf("showing the default stored something: %v", err)
	}
	if code, body := c.post("/externalproduct", f); code != http.StatusOK {
		t.Fatalf("save: %d\n%s", code, body)
	}
	cfg, err := w.store.Load(context.Background(), "main")
	if err != nil || cfg.ExternalProductID != extProduct {
		t.Errorf("stored %+v, %v; want External Product %d", cfg, err, extProduct)
	}
}
