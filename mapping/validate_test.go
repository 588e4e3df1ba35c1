package mapping_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/mapping/mappingtest"
)

// valid returns a configuration that passes every rule against world().
func valid() mapping.Config {
	return mappingtest.Sample("main", []string{"vs-1", "vs-2", "vs-3"}, 1001, 1002, 0)
}

func TestCheckRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(c *mapping.Config)
		want   []problem
	}{
		{"valid", func(c *mapping.Config) {}, nil},
		{"name missing", func(c *mapping.Config) { c.Name = "" },
			[]problem{{mapping.ErrRequired, "name"}}},
		{"name with a control character", func(c *mapping.Config) { c.Name = "a\x00b" },
			[]problem{{mapping.ErrInvalid, "name"}}},
		{"name too long", func(c *mapping.Config) { c.Name = strings.Repeat("ü", 201) },
			[]problem{{mapping.ErrInvalid, "name"}}},
		{"name not UTF-8", func(c *mapping.Config) { c.Name = "\xff" },
			[]problem{{mapping.ErrInvalid, "name"}}},
		{"solution missing", func(c *mapping.Config) { c.Solution = "" },
			[]problem{{mapping.ErrRequired, "solution"}}},
		{"solution unknown", func(c *mapping.Config) { c.Solution = "eset" },
			[]problem{{mapping.ErrInvalid, "solution"}}},
		{"external product negative", func(c *mapping.Config) { c.ExternalProductID = -1 },
			[]problem{{mapping.ErrInvalid, "externalProductId"}}},
		{"billing needs the external product", func(c *mapping.Config) { c.ExternalProductID = 0 },
			[]problem{{mapping.ErrRequired, "externalProductId"}}},
		{"billing off needs no external product", func(c *mapping.Config) {
			c.ExternalProductID = 0
			for _, t := range c.Tenants {
				if t.Account != nil {
					t.Account.Billing.Enabled = false
				}
			}
		}, nil},
		{"billing needs a price book mapping", func(c *mapping.Config) { c.PriceBook.Apps = nil },
			[]problem{{mapping.ErrRequired, "priceBook.apps"}}},
		{"tenant id missing", func(c *mapping.Config) { c.Tenants[2].ID = " " },
			[]problem{{mapping.ErrRequired, "tenants[#2].id"}}},
		{"tenant id empty", func(c *mapping.Config) { c.Tenants[2].ID = "" },
			[]problem{{mapping.ErrRequired, "tenants[#2].id"}}},
		{"tenant name missing", func(c *mapping.Config) { c.Tenants[1].Name = "" },
			[]problem{{mapping.ErrRequired, "tenants[vs-2].name"}}},
		{"tenant added twice", func(c *mapping.Config) { c.Tenants[2].ID = "vs-1" },
			[]problem{{mapping.ErrDuplicateTenant, "tenants[vs-1]"}}},
		{"account number zero", func(c *mapping.Config) { c.Tenants[2].Account = &mapping.AccountMapping{} },
			[]problem{{mapping.ErrRequired, "tenants[vs-3].account.number"}}},
		{"account number negative", func(c *mapping.Config) { c.Tenants[2].Account = &mapping.AccountMapping{Number: -4} },
			[]problem{{mapping.ErrInvalid, "tenants[vs-3].account.number"}}},
		{"one account for two tenants", func(c *mapping.Config) { c.Tenants[2].Account = &mapping.AccountMapping{Number: 1001} },
			[]problem{{mapping.ErrAccountTaken, "tenants[vs-3].account.number"}}},
		{"billing on without agreement", func(c *mapping.Config) { c.Tenants[0].Account.Billing.Agreement = 0 },
			[]problem{{mapping.ErrRequired, "tenants[vs-1].account.billing.agreement"}}},
		{"billing on without price level", func(c *mapping.Config) { c.Tenants[1].Account.Billing.PriceLevel = 0 },
			[]problem{{mapping.ErrRequired, "tenants[vs-2].account.billing.priceLevel"}}},
		{"billing off without agreement or price level", func(c *mapping.Config) {
			c.Tenants[1].Account.Billing = mapping.Billing{}
		}, nil},
		{"negative agreement and price level", func(c *mapping.Config) {
			c.Tenants[0].Account.Billing.Agreement = -1
			c.Tenants[0].Account.Billing.PriceLevel = -2
		}, []problem{
			{mapping.ErrInvalid, "tenants[vs-1].account.billing.agreement"},
			{mapping.ErrInvalid, "tenants[vs-1].account.billing.priceLevel"},
		}},
		{"application missing", func(c *mapping.Config) { c.PriceBook.Apps[0].App = "" },
			[]problem{{mapping.ErrRequired, "priceBook.apps[#0].app"}}},
		{"application unknown", func(c *mapping.Config) { c.PriceBook.Apps[0].App = "norton" },
			[]problem{{mapping.ErrUnknownApplication, "priceBook.apps[norton].app"}}},
		{"application derived from an unknown product", func(c *mapping.Config) {
			c.PriceBook.Apps[0].App = "x-kaspersky-fancy-new-thing"
		}, nil},
		{"application mapped twice", func(c *mapping.Config) {
			c.PriceBook.Apps = append(c.PriceBook.Apps, mapping.SingleItem(kaspersky.AppKESCloudPlus, "KESC-PLUS"))
		}, []problem{{mapping.ErrDuplicateApplication, "priceBook.apps[kes-cloud-plus]"}}},
		{"per-user application by category", func(c *mapping.Config) {
			c.PriceBook.Apps[1] = mapping.ItemsByCategory(kaspersky.AppKESCloudPlus, "KESB-WS", "KESB-SRV", "KESB-NW")
		}, []problem{
			{mapping.ErrSingleItemOnly, "priceBook.apps[kes-cloud-plus]"},
			{mapping.ErrRequired, "priceBook.apps[kes-cloud-plus].item"},
		}},
		{"per-mailbox application with an extra category item", func(c *mapping.Config) {
			c.PriceBook.Apps = append(c.PriceBook.Apps, mapping.AppItems{App: kaspersky.AppOffice365, Item: "O365", Servers: "KESB-SRV"})
		}, []problem{{mapping.ErrSingleItemOnly, "priceBook.apps[office365]"}}},
		{"per-user application with a single item while by category", func(c *mapping.Config) {
			c.PriceBook.Apps = append(c.PriceBook.Apps, mapping.SingleItem(kaspersky.AppOffice365, "O365"))
		}, nil},
		{"per-device application with one item while by category", func(c *mapping.Config) {
			c.PriceBook.Apps[0] = mapping.SingleItem(kaspersky.AppKESBAdvanced, "KESB-WS")
		}, []problem{
			{mapping.ErrItemCount, "priceBook.apps[kesb-advanced].item"},
			{mapping.ErrRequired, "priceBook.apps[kesb-advanced].workstations"},
			{mapping.ErrRequired, "priceBook.apps[kesb-advanced].servers"},
			{mapping.ErrRequired, "priceBook.apps[kesb-advanced].nonWindows"},
		}},
		{"per-device application missing the servers item", func(c *mapping.Config) {
			c.PriceBook.Apps[0].Servers = ""
		}, []problem{{mapping.ErrRequired, "priceBook.apps[kesb-advanced].servers"}}},
		{"per-device application with three items while not by category", func(c *mapping.Config) {
			c.PriceBook.BillByCategory = false
		}, []problem{
			{mapping.ErrItemCount, "priceBook.apps[kesb-advanced]"},
			{mapping.ErrRequired, "priceBook.apps[kesb-advanced].item"},
		}},
		{"per-device application with one item while not by category", func(c *mapping.Config) {
			c.PriceBook.BillByCategory = false
			c.PriceBook.Apps[0] = mapping.SingleItem(kaspersky.AppKESBAdvanced, "KESB-WS")
		}, nil},
		{"per-user application with no item", func(c *mapping.Config) { c.PriceBook.Apps[1].Item = "" },
			[]problem{{mapping.ErrRequired, "priceBook.apps[kes-cloud-plus].item"}}},
		{"item id with spaces", func(c *mapping.Config) { c.PriceBook.Apps[1].Item = " KESC-PLUS" },
			[]problem{{mapping.ErrInvalid, "priceBook.apps[kes-cloud-plus].item"}}},
		{"every problem at once", func(c *mapping.Config) {
			c.Solution = ""
			c.Tenants[1].Name = ""
			c.Tenants[0].Account.Billing.Agreement = 0
			c.PriceBook.Apps[0].App = "norton"
		}, []problem{
			{mapping.ErrRequired, "solution"},
			{mapping.ErrRequired, "tenants[vs-1].account.billing.agreement"},
			{mapping.ErrRequired, "tenants[vs-2].name"},
			{mapping.ErrUnknownApplication, "priceBook.apps[norton].app"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := valid()
			tt.change(&c)
			err := c.Check()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check() = %v, want nil", err)
				}
				return
			}
			if d := diffProblems(tt.want, problemsOf(t, err)); d != "" {
				t.Errorf("problems (-want +got):\n%s", d)
			}
			for _, p := range tt.want {
				if !errors.Is(err, p.Kind) {
					t.Errorf("errors.Is(err, %v) = false", p.Kind)
				}
			}
			if !strings.Contains(err.Error(), tt.want[0].Field) {
				t.Errorf("error text %q does not name the field %s", err, tt.want[0].Field)
			}
		})
	}
}

func TestValidateAgainstTigerpaw(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(c *mapping.Config)
		world  func(d *mappingtest.Directory)
		want   []problem
	}{
		{"valid", func(c *mapping.Config) {}, nil, nil},
		{"account does not exist", func(c *mapping.Config) { c.Tenants[2].Account = &mapping.AccountMapping{Number: 4242} },
			nil, []problem{{mapping.ErrNotFound, "tenants[vs-3].account.number"}}},
		{"account with billing not cross-referenced", func(c *mapping.Config) {
			c.Tenants[2].Account = &mapping.AccountMapping{Number: 1004,
				Billing: mapping.Billing{Enabled: true, Agreement: 10040, PriceLevel: 1}}
		}, func(d *mappingtest.Directory) {
			d.AddAgreement(mapping.Agreement{Number: 10040, Account: 1004, Recurring: true})
		}, []problem{{mapping.ErrNotCrossReferenced, "tenants[vs-3].account.billing.enabled"}}},
		{"account cross-referenced to another product", func(c *mapping.Config) { c.ExternalProductID = 8 },
			func(d *mappingtest.Directory) { d.CrossReference(1001, 8) },
			[]problem{{mapping.ErrNotCrossReferenced, "tenants[vs-2].account.billing.enabled"}}},
		{"account without billing need not be cross-referenced", func(c *mapping.Config) {
			c.Tenants[2].Account = &mapping.AccountMapping{Number: 1005}
		}, nil, nil},
		{"agreement of another account", func(c *mapping.Config) { c.Tenants[0].Account.Billing.Agreement = 10020 },
			nil, []problem{{mapping.ErrAgreementAccount, "tenants[vs-1].account.billing.agreement"}}},
		{"agreement that does not exist", func(c *mapping.Config) { c.Tenants[0].Account.Billing.Agreement = 5 },
			nil, []problem{{mapping.ErrAgreementAccount, "tenants[vs-1].account.billing.agreement"}}},
		{"agreement not recurring", func(c *mapping.Config) { c.Tenants[0].Account.Billing.Agreement = 10011 },
			nil, []problem{{mapping.ErrNotRecurring, "tenants[vs-1].account.billing.agreement"}}},
		{"non-recurring agreement with billing off", func(c *mapping.Config) {
			c.Tenants[0].Account.Billing = mapping.Billing{Agreement: 10011, PriceLevel: 1}
		}, nil, nil},
		{"price level does not exist", func(c *mapping.Config) { c.Tenants[1].Account.Billing.PriceLevel = 9 },
			nil, []problem{{mapping.ErrNotFound, "tenants[vs-2].account.billing.priceLevel"}}},
		{"price book item does not exist", func(c *mapping.Config) {
			c.PriceBook.Apps[0].Servers = "GONE"
			c.PriceBook.Apps = append(c.PriceBook.Apps, mapping.SingleItem(kaspersky.AppOffice365, "GONE"))
		}, nil, []problem{
			{mapping.ErrNotFound, "priceBook.apps[kesb-advanced].servers"},
			{mapping.ErrNotFound, "priceBook.apps[office365].item"},
		}},
		{"static and Tigerpaw problems together", func(c *mapping.Config) {
			c.Tenants[1].Name = ""
			c.Tenants[0].Account.Billing.Agreement = 10011
			c.PriceBook.Apps[1].Item = "GONE"
		}, nil, []problem{
			{mapping.ErrRequired, "tenants[vs-2].name"},
			{mapping.ErrNotRecurring, "tenants[vs-1].account.billing.agreement"},
			{mapping.ErrNotFound, "priceBook.apps[kes-cloud-plus].item"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := world()
			if tt.world != nil {
				tt.world(d)
			}
			c := valid()
			tt.change(&c)
			err := mapping.Validate(t.Context(), c, d, nil)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if d := diffProblems(tt.want, problemsOf(t, err)); d != "" {
				t.Errorf("problems (-want +got):\n%s", d)
			}
			for _, p := range tt.want {
				if !errors.Is(err, p.Kind) {
					t.Errorf("errors.Is(err, %v) = false", p.Kind)
				}
			}
		})
	}
}

func TestValidateLooksEachItemUpOnce(t *testing.T) {
	t.Parallel()
	d := world()
	c := valid()
	c.PriceBook.Apps[0].Servers = "KESB-WS" // the same item twice
	if err := mapping.Validate(t.Context(), c, d, nil); err != nil {
		t.Fatal(err)
	}
	if got := d.Calls("PriceBookItem"); got != 3 {
		t.Errorf("PriceBookItem calls = %d, want 3 (KESB-WS, KESB-NW, KESC-PLUS)", got)
	}
	if got := d.Calls("PriceLevels"); got != 1 {
		t.Errorf("PriceLevels calls = %d, want 1", got)
	}
}

// TestValidateItemIDsIgnoreCase: item ids that differ in letter case only name
// one Tigerpaw item, looked up once.
func TestValidateItemIDsIgnoreCase(t *testing.T) {
	t.Parallel()
	d := world()
	c := valid()
	c.PriceBook.Apps[0].Servers = "kesb-ws"
	if err := mapping.Validate(t.Context(), c, d, nil); err != nil {
		t.Fatal(err)
	}
	if got := d.Calls("PriceBookItem"); got != 3 {
		t.Errorf("PriceBookItem calls = %d, want 3 (KESB-WS once for both spellings, KESB-NW, KESC-PLUS)", got)
	}
}

func TestValidateAcrossIntegrations(t *testing.T) {
	t.Parallel()
	other := mappingtest.Sample("other", []string{"vs-3", "vs-9"}, 0, 1002)
	err := mapping.Validate(t.Context(), valid(), world(), []mapping.Config{other, valid()})
	want := []problem{
		{mapping.ErrAccountTaken, "tenants[vs-2].account.number"},
		{mapping.ErrTenantTaken, "tenants[vs-3]"},
	}
	if d := diffProblems(want, problemsOf(t, err)); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
	var ve *mapping.ValidationError
	errors.As(err, &ve)
	for _, p := range ve.Problems {
		if p.Integration != "other" {
			t.Errorf("problem %s names integration %q, want other", p.Field, p.Integration)
		}
	}
	if !ve.Has(mapping.ErrTenantTaken, "tenants[vs-3]") || ve.Has(mapping.ErrTenantTaken, "tenants[vs-1]") {
		t.Error("Has answers wrongly")
	}
	if err := mapping.CrossCheck(valid(), []mapping.Config{valid()}); err != nil {
		t.Errorf("CrossCheck against itself = %v, want nil", err)
	}
}

func TestValidateFaults(t *testing.T) {
	t.Parallel()
	fault := errors.New("tigerpaw is down")
	for _, method := range []string{"Accounts", "CrossReferenced", "Agreements", "PriceLevels", "PriceBookItem"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			d := world()
			d.FailNext(method, fault)
			c := valid()
			c.Tenants[1].Name = "" // a static problem is reported with the fault
			err := mapping.Validate(t.Context(), c, d, nil)
			if !errors.Is(err, fault) {
				t.Fatalf("Validate() = %v, want the fault", err)
			}
			if d := diffProblems([]problem{{mapping.ErrRequired, "tenants[vs-2].name"}}, problemsOf(t, err)); d != "" {
				t.Errorf("problems (-want +got):\n%s", d)
			}
		})
	}
	t.Run("canceled context", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := mapping.Validate(ctx, valid(), world(), nil); !errors.Is(err, context.Canceled) {
			t.Errorf("Validate() = %v, want context.Canceled", err)
		}
	})
}

func TestValidationErrorText(t *testing.T) {
	t.Parallel()
	c := valid()
	c.Tenants[0].Account.Billing.Agreement = 10011
	err := mapping.Validate(t.Context(), c, world(), nil)
	want := `mapping: configuration "main" is invalid: 1 problem: tenants[vs-1].account.billing.agreement: ` +
		`agreement 10011 of account 1001 is not recurring; automatic billing needs a recurring agreement`
	if err == nil || err.Error() != want {
		t.Errorf("error text:\n got %v\nwant %s", err, want)
	}
	c.Tenants[0].Account.Billing.PriceLevel = 0
	err = c.Check()
	if err == nil || !strings.Contains(err.Error(), "1 problem: ") {
		t.Errorf("error text %v", err)
	}
	c.Tenants[1].Name = ""
	if err := c.Check(); err == nil || !strings.Contains(err.Error(), "2 problems: ") {
		t.Errorf("error text %v", err)
	}
	if got := (mapping.Problem{Reason: "bare"}).Error(); got != "bare" {
		t.Errorf("Problem without field = %q", got)
	}
}

func TestNilDirectory(t *testing.T) {
	t.Parallel()
	if err := mapping.Validate(t.Context(), valid(), nil, nil); !errors.Is(err, mapping.ErrRequired) {
		t.Errorf("Validate without a directory = %v, want ErrRequired", err)
	}
	if _, err := mapping.SyncCustomFields(t.Context(), nil, []mapping.Config{valid()}); !errors.Is(err, mapping.ErrRequired) {
		t.Errorf("SyncCustomFields without a directory = %v, want ErrRequired", err)
	}
	if _, err := mapping.UnmappedAccounts(t.Context(), nil, ""); !errors.Is(err, mapping.ErrRequired) {
		t.Errorf("UnmappedAccounts without a directory = %v, want ErrRequired", err)
	}
}
