package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hubtest"
)

// editPage returns a Rewrite that decodes a page, lets edit change it and
// encodes it again.
func editPage(t *testing.T, edit func(p map[string]any)) func([]byte) []byte {
	return func(b []byte) []byte {
		var p map[string]any
		if err := json.Unmarshal(b, &p); err != nil {
			t.Errorf("rewrite: %v", err)
			return b
		}
		edit(p)
		out, err := json.Marshal(p)
		if err != nil {
			t.Errorf("rewrite: %v", err)
		}
		return out
	}
}

func items(p map[string]any) []any { return p["items"].([]any) }

// TestListsIncompleteOrMalformed: every answer that does not prove the list
// complete ends the read with ErrIncomplete (and ErrBadResponse), naming the
// page or item and the reason, and yields no item at all.
func TestListsIncompleteOrMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault hubtest.Fault
		want  string
	}{
		{"short page", hubtest.Fault{Page: 2, Rewrite: editPage(t, func(p map[string]any) { p["items"] = items(p)[:1] })},
			"the list ends on page 3 after 4 of the 5 items announced"},
		{"list ends early", hubtest.Fault{Page: 2, Rewrite: editPage(t, func(p map[string]any) { p["nextPage"] = nil })},
			"the list ends on page 2 after 4 of the 5 items announced"},
		{"last page empty", hubtest.Fault{Page: 3, Rewrite: editPage(t, func(p map[string]any) { p["items"] = []any{} })},
			"the list ends on page 3 after 4 of the 5 items announced"},
		{"empty page before the end", hubtest.Fault{Page: 2, Rewrite: editPage(t, func(p map[string]any) { p["items"] = []any{} })},
			"page 2 is empty but names a next page (2 of 5 items read)"},
		{"null list", hubtest.Fault{Page: 2, Rewrite: editPage(t, func(p map[string]any) { p["items"] = nil })},
			`field "items" is null, not a list (page 2)`},
		{"missing list", hubtest.Fault{Page: 1, Rewrite: editPage(t, func(p map[string]any) { delete(p, "items") })},
			`field "items" is missing (page 1)`},
		{"list of another shape", hubtest.Fault{Page: 1, Rewrite: editPage(t, func(p map[string]any) { p["items"] = map[string]any{} })},
			`field "items" is an object, not a list`},
		{"null element", hubtest.Fault{Page: 2, Rewrite: editPage(t, func(p map[string]any) { items(p)[1] = nil })},
			"items[1] is null, not an object (page 2)"},
		{"element not an object", hubtest.Fault{Page: 2, Rewrite: editPage(t, func(p map[string]any) { items(p)[0] = 0 })},
			"items[0] is a number, not an object"},
		{"element without id", hubtest.Fault{Page: 2, Rewrite: editPage(t, func(p map[string]any) { delete(items(p)[0].(map[string]any), "id") })},
			`items[0] has no "id" (page 2)`},
		{"element with an empty id", hubtest.Fault{Page: 2, Rewrite: editPage(t, func(p map[string]any) { items(p)[0].(map[string]any)["id"] = " " })},
			`items[0] has no "id"`},
		{"empty element", hubtest.Fault{Page: 1, Body: []byte(`{"items":[{}],"nextPage":null,"total":1}`)},
			`items[0] has no "id"`},
		{"id listed twice", hubtest.Fault{Page: 2, Rewrite: editPage(t, func(p map[string]any) { items(p)[0].(map[string]any)["id"] = "c0" })},
			`id "c0" is listed on page 1 and again on page 2`},
		{"missing total", hubtest.Fault{Page: 1, Rewrite: editPage(t, func(p map[string]any) { delete(p, "total") })},
			`field "total" is missing`},
		{"null total", hubtest.Fault{Page: 1, Rewrite: editPage(t, func(p map[string]any) { p["total"] = nil })},
			`field "total" is null`},
		{"negative total", hubtest.Fault{Page: 1, Body: []byte(`{"items":[],"nextPage":null,"total":-1}`)},
			`field "total" is -1`},
		{"more than announced", hubtest.Fault{Page: 3, Rewrite: editPage(t, func(p map[string]any) {
			p["items"] = append(items(p), map[string]any{"id": "c9"})
		})}, "page 3 brings the list to 6 items, more than the 5 announced"},
		{"more than asked for", hubtest.Fault{Page: 1, Rewrite: editPage(t, func(p map[string]any) {
			p["items"] = append(items(p), map[string]any{"id": "c9"})
		})}, `field "items" holds more than the 2 items asked for`},
		{"total changes twice", hubtest.Fault{Page: 2, Times: 2, Rewrite: editPage(t, func(p map[string]any) { p["total"] = 6 })},
			"page 2 announces 6 items, page 1 announced 5: the list changed while it was read"},
		{"total beyond the cap", hubtest.Fault{Page: 1, Body: []byte(`{"items":[],"nextPage":null,"total":1048577}`)},
			"page 1 announces 1048577 items, more than the 1048576 the client reads"},
		{"empty object", hubtest.Fault{Body: []byte(`{}`)}, `field "items" is missing`},
		{"null", hubtest.Fault{Body: []byte(`null`)}, "answer is null, not an object"},
		{"a list", hubtest.Fault{Body: []byte(`[{"id":"c0"}]`)}, "answer is a list, not an object"},
		{"field twice", hubtest.Fault{Body: []byte(`{"items":[],"total":0,"items":[{"id":"x"}],"nextPage":null}`)}, `field "items" is given twice`},
		{"trailing data", hubtest.Fault{Body: []byte(`{"items":[],"total":0} {"items":[{"id":"x"}]}`)}, "answer goes on after its object"},
		{"cut short", hubtest.Fault{Body: []byte(`{"items":[{"id":"c0"},`)}, "items[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t, WithPageSize(2))
			for i := range 5 {
				must(t, e.srv.AddCompany(hubtest.Company{ID: fmt.Sprint("c", i), Name: fmt.Sprint("Company ", i)}))
			}
			tt.fault.Path = "/api/v1/companies"
			e.srv.InjectFault(tt.fault)
			n := 0
			var last error
			for _, err := range e.c.Companies(t.Context()) {
				if err != nil {
					last = err
					continue
				}
				n++
			}
			if n != 0 {
				t.Errorf("%d items yielded from a list that failed", n)
			}
			if !errors.Is(last, ErrIncomplete) || !errors.Is(last, ErrBadResponse) || !strings.Contains(fmt.Sprint(last), tt.want) {
				t.Errorf("err = %v\nwant ErrIncomplete containing %q", last, tt.want)
			}
			if !strings.Contains(fmt.Sprint(last), "GET /api/v1/companies") {
				t.Errorf("err = %v does not name the list", last)
			}
			// The source says the same.
			e.srv.InjectFault(tt.fault)
			if _, err := NewSource(e.c).Tenants(t.Context()); !errors.Is(err, ErrIncomplete) {
				t.Errorf("Tenants: err = %v, want ErrIncomplete", err)
			}
		})
	}
}

// TestEveryListChecksItsItems: the rules hold for every list the client
// pages through: an item without its id, or a page shorter than the total,
// fails the company's inventory and its events.
func TestEveryListChecksItsItems(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"devices", "licenses", "events", "office365/events"} {
		for name, fault := range map[string]func(t *testing.T) hubtest.Fault{
			"no id": func(t *testing.T) hubtest.Fault {
				return hubtest.Fault{Rewrite: editPage(t, func(p map[string]any) { delete(items(p)[0].(map[string]any), "id") })}
			},
			"short": func(t *testing.T) hubtest.Fault {
				return hubtest.Fault{Rewrite: editPage(t, func(p map[string]any) { p["items"] = items(p)[1:] })}
			},
			"null element": func(t *testing.T) hubtest.Fault {
				return hubtest.Fault{Rewrite: editPage(t, func(p map[string]any) { items(p)[0] = nil })}
			},
		} {
			t.Run(path+"/"+name, func(t *testing.T) {
				t.Parallel()
				e := setup(t)
				seedContoso(t, e.srv)
				f := fault(t)
				f.Path = "/api/v1/companies/c1/" + path
				e.srv.InjectFault(f)
				src := NewSource(e.c)
				var err error
				if strings.Contains(path, "events") {
					_, err = src.Events(t.Context(), "c1", time.Time{})
				} else {
					_, err = src.Inventory(t.Context(), "c1")
				}
				if !errors.Is(err, ErrIncomplete) || !strings.Contains(fmt.Sprint(err), f.Path) {
					t.Errorf("err = %v, want ErrIncomplete naming %s", err, f.Path)
				}
			})
		}
	}
}

// TestListReadAgainWhenItChangesOnce: a company added while the list is read
// changes the total between two pages; the list is read again from page 1 and
// comes whole.
func TestListReadAgainWhenItChangesOnce(t *testing.T) {
	t.Parallel()
	e := setup(t, WithPageSize(2))
	for i := range 5 {
		must(t, e.srv.AddCompany(hubtest.Company{ID: fmt.Sprint("c", i)}))
	}
	e.srv.InjectFault(hubtest.Fault{Path: "/api/v1/companies", Page: 1, Rewrite: func(b []byte) []byte {
		must(t, e.srv.AddCompany(hubtest.Company{ID: "c5"}))
		return b
	}})
	got, err := Collect(e.c.Companies(t.Context()))
	must(t, err)
	if len(got) != 6 || got[5].ID != "c5" {
		t.Errorf("got %v, want the 6 companies", got)
	}
	if n := e.srv.Requests(http.MethodGet, "/api/v1/companies"); n != 2+3 {
		t.Errorf("pages read = %d, want 2 then 3", n)
	}
}

// TestEmptyListIsNotAnError: a list that says it is empty, and is, is read as
// empty.
func TestEmptyListIsNotAnError(t *testing.T) {
	t.Parallel()
	e := setup(t)
	got, err := Collect(e.c.Companies(t.Context()))
	if err != nil || len(got) != 0 {
		t.Errorf("got %v, %v", got, err)
	}
}

// TestOffice365StatusStrict: a status answer without its fields is an error,
// not "nothing protected".
func TestOffice365StatusStrict(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{}`:   `"mailboxesProtected" is missing or null`,
		`null`: `"mailboxesProtected" is missing or null`,
		`{"mailboxesProtected":true,"licenseOk":null,"protectedMailboxes":3}`:  `"licenseOk" is missing or null`,
		`{"mailboxesProtected":true,"licenseOk":true}`:                         `"protectedMailboxes" is missing or null`,
		`{"mailboxesProtected":true,"licenseOk":true,"protectedMailboxes":-4}`: `protectedMailboxes is -4`,
		`[]`: "cannot unmarshal array",
	} {
		e := setup(t)
		seedContoso(t, e.srv)
		e.srv.InjectFault(hubtest.Fault{Path: "/api/v1/companies/c1/office365/status", Body: []byte(body)})
		_, err := e.c.Office365Status(t.Context(), "c1")
		if !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want ErrBadResponse containing %q", body, err, want)
		}
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestPageDecodeIsBounded: bodies near the size cap whose decode would take
// gigabytes if decoded whole are refused after a bounded amount of work: the
// allocation stays within a small multiple of the body.
func TestPageDecodeIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates ~30 MB bodies")
	}
	const size = 30 << 20
	build := func(prefix, elem, suffix string) []byte {
		n := (size - len(prefix)) / len(elem)
		return slices.Concat([]byte(prefix), bytes.Repeat([]byte(elem), n), []byte(elem[:len(elem)-1]+suffix))
	}
	repeat := func(prefix, elem string, n int, suffix string) []byte {
		return []byte(prefix + strings.Repeat(elem+",", n-1) + elem + suffix)
	}
	devices := func(b []byte) error {
		return (&pageAnswer[Device]{limit: 100, decode: decodeDevice}).decodeBody(b)
	}
	var manyDevices []string
	for i := range 100 {
		manyDevices = append(manyDevices, fmt.Sprintf(`{"id":"d%d","status":"warning","statusDescriptions":[%s{}]}`, i, strings.Repeat("{},", maxNestedPerPage/100-1)))
	}
	tests := []struct {
		name   string
		body   []byte
		decode func([]byte) error
		want   string
	}{
		{"empty objects", build(`{"items":[`, `{},`, `],"total":1}`), func(b []byte) error {
			return (&pageAnswer[Device]{limit: 100, decode: decodeDevice}).decodeBody(b)
		}, `items[0] has no "id"`},
		{"many devices", build(`{"items":[`, `{"id":"d","status":"ok"},`, `],"total":1}`), func(b []byte) error {
			return (&pageAnswer[Device]{limit: 100, decode: decodeDevice}).decodeBody(b)
		}, "holds more than the 100 items asked for"},
		{"zeros", build(`{"items":[`, `0,`, `],"total":1}`), func(b []byte) error {
			return (&pageAnswer[Event]{limit: 100, decode: decodePlain[Event]}).decodeBody(b)
		}, "items[0] is a number"},
		{"one license with millions of users", build(`{"items":[{"id":"l","users":[`, `"",`, `]}],"total":1}`), func(b []byte) error {
			return (&pageAnswer[License]{limit: 100, decode: decodeLicense}).decodeBody(b)
		}, "users: the page's items hold more than 1048576 nested elements"},
		{"one device with millions of descriptions", build(`{"items":[{"id":"d","statusDescriptions":[`, `{},`, `]}],"total":1}`), func(b []byte) error {
			return (&pageAnswer[Device]{limit: 100, decode: decodeDevice}).decodeBody(b)
		}, "statusDescriptions: the page's items hold more than 1048576 nested elements"},
		// The most the budget lets through: read, within the same bound.
		{"users up to the budget", repeat(`{"items":[{"id":"l","product":"kes-cloud","type":"commercial","users":[`, `""`, maxNestedPerPage, `]}],"total":1}`), func(b []byte) error {
			return (&pageAnswer[License]{limit: 100, decode: decodeLicense}).decodeBody(b)
		}, ""},
		{"descriptions up to the budget", []byte(`{"items":[` + strings.Join(manyDevices, ",") + `],"total":100}`), devices, ""},
		{"one over the budget", []byte(`{"items":[` + strings.Join(manyDevices, ",") + `,{"id":"x","status":"warning","statusDescriptions":[` +
			strings.Repeat("{},", maxNestedPerPage-100*(maxNestedPerPage/100)) + `{}]}],"total":101}`),
			func(b []byte) error { return (&pageAnswer[Device]{limit: 101, decode: decodeDevice}).decodeBody(b) },
			"items[100]: statusDescriptions: the page's items hold more than 1048576 nested elements"},
	}
	// The bound the package doc states: four times the body size cap.
	const limit = 4 * maxResponseBody
	for _, tt := range tests {
		var err error
		n := allocated(func() { err = tt.decode(tt.body) })
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (!errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
		if n > limit {
			t.Errorf("%s: decoding a %d-byte body allocated %d bytes, more than %d", tt.name, len(tt.body), n, limit)
		}
		t.Logf("%s: %d-byte body, %d bytes allocated", tt.name, len(tt.body), n)
	}
}

func TestCountElements(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{
		`[]`: 0, `[ ]`: 0, "[\n]": 0, `[1]`: 1, `[""]`: 1, `["a,b"]`: 1, `["a\",b"]`: 1, `["\\",""]`: 2,
		`[{},{}]`: 2, `[[1,2],[3]]`: 2, `[{"a":[1,2,3]}, null, "x"]`: 3, `[[]]`: 1,
	} {
		if got := countElements([]byte(in)); got != want {
			t.Errorf("countElements(%s) = %d, want %d", in, got, want)
		}
	}
}

// TestWrongPasswordHoldsOffLogins: after the server refuses the credentials,
// no login is sent until the hold-off ends; every call in between fails at
// once with ErrUnauthorized (and kaspersky.ErrUnauthorized) saying logins are
// suspended. A good login ends the hold-off.
func TestWrongPasswordHoldsOffLogins(t *testing.T) {
	t.Parallel()
	e := setup(t, WithCredentials(Credentials{Email: testEmail, Password: "wrong"}))
	for i := range 6 {
		must(t, e.srv.AddCompany(hubtest.Company{ID: fmt.Sprint("c", i)}))
	}
	_, err := Collect(e.c.Companies(t.Context()))
	if !errors.Is(err, ErrUnauthorized) || !errors.Is(err, kaspersky.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized matching kaspersky.ErrUnauthorized", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Collect(e.c.Devices(t.Context(), fmt.Sprint("c", i)))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, ErrUnauthorized) || !errors.Is(err, kaspersky.ErrUnauthorized) ||
			!strings.Contains(err.Error(), "logins are suspended") || !strings.Contains(err.Error(), "invalid-credentials") {
			t.Errorf("company %d: err = %v, want a suspended login", i, err)
		}
	}
	if n := e.srv.Logins(); n != 1 {
		t.Errorf("logins = %d, want 1 for 7 calls", n)
	}

	// The hold-off ends: one more login, refused again, and a new hold-off.
	e.clock.Advance(DefaultAuthHoldOff)
	_, err = e.c.Office365Status(t.Context(), "c1")
	if !errors.Is(err, ErrUnauthorized) || strings.Contains(err.Error(), "suspended") {
		t.Errorf("after the hold-off: err = %v, want a refused login", err)
	}
	_, err = e.c.Office365Status(t.Context(), "c1")
	if !strings.Contains(err.Error(), "suspended") || e.srv.Logins() != 2 {
		t.Errorf("after a second refusal: err = %v, logins %d, want suspended and 2", err, e.srv.Logins())
	}

	// The password is put right on the server: after the hold-off the client
	// logs in and stays logged in.
	e.srv.AddUser(testEmail, "wrong")
	e.clock.Advance(DefaultAuthHoldOff)
	for range 3 {
		if _, err := Collect(e.c.Companies(t.Context())); err != nil {
			t.Fatalf("after the password was fixed: %v", err)
		}
	}
	if n := e.srv.Logins(); n != 3 {
		t.Errorf("logins = %d, want 3", n)
	}
}

func TestAuthHoldOffOptions(t *testing.T) {
	t.Parallel()
	// Zero turns the hold-off off: each call logs in.
	e := setup(t, WithCredentials(Credentials{Email: testEmail, Password: "wrong"}), WithAuthHoldOff(0))
	for range 3 {
		if _, err := Collect(e.c.Companies(t.Context())); !errors.Is(err, ErrUnauthorized) || strings.Contains(err.Error(), "suspended") {
			t.Errorf("err = %v", err)
		}
	}
	if n := e.srv.Logins(); n != 3 {
		t.Errorf("logins = %d, want 3 without a hold-off", n)
	}
	// A shorter hold-off ends sooner.
	e = setup(t, WithCredentials(Credentials{Email: testEmail, Password: "wrong"}), WithAuthHoldOff(time.Minute))
	_, _ = Collect(e.c.Companies(t.Context()))
	e.clock.Advance(time.Minute)
	_, _ = Collect(e.c.Companies(t.Context()))
	if n := e.srv.Logins(); n != 2 {
		t.Errorf("logins = %d, want 2", n)
	}
	if _, err := NewClient("https://hub.example.com", WithCredentials(Credentials{Email: testEmail, Password: "x"}), WithAuthHoldOff(-time.Second)); err == nil ||
		!strings.Contains(err.Error(), "WithAuthHoldOff: -1s is negative") {
		t.Errorf("negative hold-off: %v", err)
	}
}

// TestLoginForbiddenIsARefusal: a 403 at login (a locked or disabled account)
// is a refusal of the credentials too.
func TestLoginForbiddenIsARefusal(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.InjectFault(hubtest.Fault{Path: "/api/v1/login", Status: http.StatusForbidden, Code: "account-locked"})
	for range 3 {
		_, err := Collect(e.c.Companies(t.Context()))
		if !errors.Is(err, ErrUnauthorized) || !errors.Is(err, kaspersky.ErrUnauthorized) || !strings.Contains(err.Error(), "account-locked") {
			t.Errorf("err = %v", err)
		}
	}
	if n := e.srv.Logins(); n != 1 {
		t.Errorf("logins = %d, want 1", n)
	}
}

// TestPlainHTTPNeedsAnExplicitOption: the password would travel in clear.
func TestPlainHTTPNeedsAnExplicitOption(t *testing.T) {
	t.Parallel()
	srv := hubtest.NewServer()
	t.Cleanup(srv.Close)
	srv.AddUser(testEmail, testPassword)
	creds := WithCredentials(Credentials{Email: testEmail, Password: testPassword})
	c, err := NewClient(srv.URL, creds)
	if err == nil || !strings.Contains(err.Error(), "http:// would send the password in clear") || !strings.Contains(err.Error(), "WithInsecureHTTP") {
		t.Fatalf("NewClient(http://) = %v, %v", c, err)
	}
	if srv.Logins() != 0 {
		t.Error("a login was sent")
	}
	c, err = NewClient(srv.URL, creds, WithInsecureHTTP())
	must(t, err)
	if _, err := Collect(c.Companies(t.Context())); err != nil {
		t.Errorf("with WithInsecureHTTP: %v", err)
	}
}
