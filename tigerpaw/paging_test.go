package tigerpaw_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw"
)

// accountsPage builds a search answer with accounts numbered from first.
func accountsPage(first, n int, extra string) string {
	var items []string
	for i := 0; i < n; i++ {
		items = append(items, fmt.Sprintf(`{"AccountNumber":%d,"Account":{"Name":"A%d"}}`, first+i, first+i))
	}
	return `{"Accounts":[` + strings.Join(items, ",") + `]` + extra + `}`
}

// rawServer answers the account search with page(startRow), no signature check.
func rawServer(t *testing.T, page func(startRow int) string) (*tigerpaw.Client, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		var req struct{ StartRow, PageSize int }
		if err := json.Unmarshal(body, &req); err != nil || req.PageSize != 2 {
			http.Error(w, `{"Message":"bad paging"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, page(req.StartRow))
	}))
	t.Cleanup(ts.Close)
	c, err := tigerpaw.NewClient(ts.URL, tigerpaw.WithKeys("p", "k"), tigerpaw.WithRateLimit(rate.Inf, 1),
		tigerpaw.WithRetryPolicy(tigerpaw.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	return c, &calls
}

func TestPagingStops(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		page      func(start int) string
		want      []int
		wantCalls int32
		wantErr   bool
	}{
		{name: "three pages", page: func(s int) string {
			n := min(2, 5-s)
			next := s + n
			if next >= 5 {
				next = 0
			}
			return accountsPage(s+1, n, fmt.Sprintf(`,"NextRow":%d,"TotalCount":5`, next))
		}, want: []int{1, 2, 3, 4, 5}, wantCalls: 3},
		{name: "server serves smaller pages and says so", page: func(s int) string {
			// Asked for 2, the server caps pages at 1 and answers PageSize 1.
			if s >= 3 {
				return accountsPage(s+1, 0, `,"PageSize":1,"NextRow":0`)
			}
			next := s + 1
			if next == 3 {
				next = 0
			}
			return accountsPage(s+1, 1, fmt.Sprintf(`,"PageSize":1,"NextRow":%d,"TotalCount":3`, next))
		}, want: []int{1, 2, 3}, wantCalls: 3},
		{name: "NextRow decimal", page: func(s int) string {
			if s == 0 {
				return accountsPage(1, 2, `,"NextRow":2.0`)
			}
			return accountsPage(3, 1, `,"NextRow":0`)
		}, want: []int{1, 2, 3}, wantCalls: 2},
		{name: "server repeats the page", page: func(s int) string {
			return accountsPage(1, 2, fmt.Sprintf(`,"NextRow":%d`, s+2))
		}, want: []int{1, 2}, wantCalls: 2},
		{name: "server cycles through two pages", page: func(s int) string {
			return accountsPage(1+(s/2)%2*2, 2, fmt.Sprintf(`,"NextRow":%d`, s+2))
		}, want: []int{1, 2, 3, 4}, wantCalls: 3},
		{name: "NextRow 0 on a full page", page: func(int) string { return accountsPage(1, 2, `,"NextRow":0`) }, want: []int{1, 2}, wantCalls: 1},
		{name: "NextRow absent", page: func(int) string { return accountsPage(1, 2, ``) }, want: []int{1, 2}, wantCalls: 1},
		{name: "NextRow not beyond", page: func(s int) string {
			if s == 0 {
				return accountsPage(1, 2, `,"NextRow":2`)
			}
			return accountsPage(10, 2, fmt.Sprintf(`,"NextRow":%d`, s))
		}, want: []int{1, 2, 10, 11}, wantCalls: 2},
		{name: "short page", page: func(int) string { return accountsPage(1, 1, `,"NextRow":5`) }, want: []int{1}, wantCalls: 1},
		{name: "TotalCount reached", page: func(int) string { return accountsPage(1, 2, `,"NextRow":2,"TotalCount":2`) }, want: []int{1, 2}, wantCalls: 1},
		{name: "no items key", page: func(int) string { return `{"NextRow":2}` }, wantErr: true, wantCalls: 1},
		{name: "items null", page: func(int) string { return `{"Accounts":null,"NextRow":2}` }, wantErr: true, wantCalls: 1},
		{name: "items key in other case", page: func(int) string { return `{"accounts":[{"AccountNumber":4}]}` }, want: []int{4}, wantCalls: 1},
		{name: "not JSON", page: func(int) string { return `<html>` }, wantErr: true, wantCalls: 1},
		{name: "item of the wrong shape", page: func(int) string { return `{"Accounts":[{"AccountNumber":"x"}]}` }, wantErr: true, wantCalls: 1},
		{name: "items not a list", page: func(int) string { return `{"Accounts":{}}` }, wantErr: true, wantCalls: 1},
		{name: "refused", page: func(int) string { return `{"Success":false,"Message":"search failed"}` }, wantErr: true, wantCalls: 1},
		{name: "error on the second page", page: func(s int) string {
			if s == 0 {
				return accountsPage(1, 2, `,"NextRow":2`)
			}
			return `{"Success":false,"Message":"timeout"}`
		}, want: []int{1, 2}, wantErr: true, wantCalls: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, calls := rawServer(t, tc.page)
			var got []int
			var gotErr error
			for a, err := range c.Accounts.Search(t.Context(), tigerpaw.Search{PageSize: 2}) {
				if err != nil {
					gotErr = err
					break
				}
				got = append(got, a.AccountNumber)
			}
			if (gotErr != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", gotErr, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("accounts (-want +got):\n%s", diff)
			}
			if n := calls.Load(); n != tc.wantCalls {
				t.Errorf("requests = %d, want %d", n, tc.wantCalls)
			}
		})
	}
}

func TestMalformedAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		call   func(c *tigerpaw.Client) error
		want   string
	}{
		{name: "get not JSON", status: 200, body: `<html>`, want: "decode response",
			call: func(c *tigerpaw.Client) error { _, err := c.Accounts.Get(t.Context(), 1); return err }},
		{name: "get empty body", status: 200, body: ``, want: "empty body",
			call: func(c *tigerpaw.Client) error { _, err := c.Agreements.Get(t.Context(), 1); return err }},
		{name: "create without DetailId", status: 200, body: `{"Success":true}`, want: "no DetailId",
			call: func(c *tigerpaw.Client) error {
				_, err := c.Charges.Create(t.Context(), 1, tigerpaw.NewCharge{SpecialItemID: "x"})
				return err
			}},
		{name: "create with a bad DetailId", status: 200, body: `{"Success":true,"DetailId":"x"}`, want: "decode response",
			call: func(c *tigerpaw.Client) error {
				_, err := c.Charges.Create(t.Context(), 1, tigerpaw.NewCharge{SpecialItemID: "x"})
				return err
			}},
		{name: "service order answer without summary", status: 200, body: `{"Success":true}`, want: "ServiceOrderNumber",
			call: func(c *tigerpaw.Client) error {
				_, err := c.ServiceOrders.Create(t.Context(), newOrder("r"))
				return err
			}},
		{name: "service order answer not JSON", status: 200, body: `[`, want: "decode response",
			call: func(c *tigerpaw.Client) error {
				_, err := c.ServiceOrders.Create(t.Context(), newOrder("r"))
				return err
			}},
		{name: "custom field id not a number", status: 200, body: `{"Success":true,"Field":{"CustomFieldDefinitionId":[]}}`, want: "decode response",
			call: func(c *tigerpaw.Client) error {
				_, err := c.MasterTables.CreateTextCustomField(t.Context(), tigerpaw.NewTextCustomField{Category: "c", Label: "l"})
				return err
			}},
		{name: "custom field answer without field", status: 200, body: `{"Success":true}`, want: "may have been created",
			call: func(c *tigerpaw.Client) error {
				_, err := c.MasterTables.CreateTextCustomField(t.Context(), tigerpaw.NewTextCustomField{Category: "c", Label: "l"})
				return err
			}},
		{name: "custom field list not JSON", status: 200, body: `[{]`, want: "decode response",
			call: func(c *tigerpaw.Client) error { _, err := c.MasterTables.AccountCustomFields(t.Context()); return err }},
		{name: "list not JSON", status: 200, body: `{`, want: "decode response",
			call: func(c *tigerpaw.Client) error { _, err := c.MasterTables.Reps(t.Context()); return err }},
		{name: "html error page", status: 500, body: `<html>Server Error</html>`, want: `HTTP 500 Internal Server Error: body "<html>Server Error</html>"`,
			call: func(c *tigerpaw.Client) error { return c.ValidateUser(t.Context()) }},
		{name: "product information refused", status: 403, body: `{"Message":"Not allowed for this rep"}`, want: "HTTP 403 Forbidden: Not allowed for this rep",
			call: func(c *tigerpaw.Client) error { _, err := c.ProductInformation(t.Context()); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer ts.Close()
			c, err := tigerpaw.NewClient(ts.URL, tigerpaw.WithKeys("p", "k"), tigerpaw.WithRetryPolicy(tigerpaw.RetryPolicy{MaxAttempts: 1}))
			if err != nil {
				t.Fatal(err)
			}
			err = tc.call(c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
