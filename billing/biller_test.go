package billing

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

func newTestBiller(t testing.TB, book PriceBook) *Biller {
	t.Helper()
	b, err := NewBiller(book, testPrices())
	if err != nil {
		t.Fatalf("NewBiller: %v", err)
	}
	return b
}

// TestSeedExample is the seed's example end to end: 100 devices with Kaspersky
// Endpoint Security for Business Advanced, 90 workstations and 10 servers, bill
// by category on: exactly two charges, 90 on the workstation item and 10 on the
// server item.
func TestSeedExample(t *testing.T) {
	t.Parallel()
	b := newTestBiller(t, testBook())
	inv := seedInventory()
	charges, unbilled, err := b.Desired(testAccount, b.Count(&inv, now))
	if err != nil {
		t.Fatal(err)
	}
	want := []Charge{
		{ItemID: "KESB-ADV-SRV", Description: OwnerMarker + " Kaspersky Endpoint Security for Business Advanced, Windows servers", Quantity: 10, Price: 550, PriceLevel: 1},
		{ItemID: "KESB-ADV-WS", Description: OwnerMarker + " Kaspersky Endpoint Security for Business Advanced, Windows workstations", Quantity: 90, Price: 450, PriceLevel: 1},
	}
	if d := cmp.Diff(want, charges); d != "" {
		t.Errorf("Desired (-want +got):\n%s", d)
	}
	if len(unbilled) != 0 {
		t.Errorf("unbilled = %v, want none", unbilled)
	}
	plan := Diff(testAccount.AgreementNumber, charges, nil)
	wantPlan := "+ agreement 1043 item KESB-ADV-SRV qty 10 @ 5.50\n+ agreement 1043 item KESB-ADV-WS qty 90 @ 4.50\n"
	if got := plan.String(); got != wantPlan {
		t.Errorf("plan:\n%s\nwant:\n%s", got, wantPlan)
	}
}

func TestDesiredWithoutCategories(t *testing.T) {
	t.Parallel()
	book := PriceBook{Items: map[kaspersky.AppID]ItemMapping{
		kaspersky.AppKESBAdvanced: {Item: "KESB-ADV", ByCategory: [3]string{"ignored", "when", "off"}},
	}}
	b := newTestBiller(t, book)
	inv := seedInventory()
	inv.Devices = append(inv.Devices, kaspersky.Device{ID: "mac", Category: kaspersky.NonWindows})
	inv.Licenses = append(inv.Licenses, commercial(kaspersky.AppKESBAdvanced, "mac", "ghost"))
	charges, unbilled, err := b.Desired(testAccount, b.Count(&inv, now))
	if err != nil {
		t.Fatal(err)
	}
	want := []Charge{{ItemID: "KESB-ADV", Description: OwnerMarker + " Kaspersky Endpoint Security for Business Advanced", Quantity: 102, Price: 1250, PriceLevel: 1}}
	if d := cmp.Diff(want, charges); d != "" {
		t.Errorf("Desired (-want +got):\n%s", d)
	}
	if len(unbilled) != 0 {
		t.Errorf("unbilled = %v, want none", unbilled)
	}
}

func TestDesiredPriceLevel(t *testing.T) {
	t.Parallel()
	b := newTestBiller(t, testBook())
	usage := []Usage{{App: kaspersky.AppKESBAdvanced, Category: kaspersky.WindowsWorkstation, Quantity: 3}}
	for _, tt := range []struct {
		level int
		want  Money
	}{{1, 450}, {2, 400}} {
		acct := testAccount
		acct.PriceLevel = tt.level
		charges, _, err := b.Desired(acct, usage)
		if err != nil {
			t.Fatal(err)
		}
		if len(charges) != 1 || charges[0].Price != tt.want || charges[0].PriceLevel != tt.level {
			t.Errorf("level %d: charges = %+v, want one at %v on level %d", tt.level, charges, tt.want, tt.level)
		}
	}
	acct := testAccount
	acct.PriceLevel = 3
	charges, _, err := b.Desired(acct, usage)
	if !errors.Is(err, ErrNoPrice) || charges != nil {
		t.Fatalf("level without a price: %v, %v; want ErrNoPrice and no charges", charges, err)
	}
	for _, want := range []string{"KESB-ADV-WS", "price level 3", "agreement 1043"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	// The failure leaves no scratch quantity behind for the next account.
	charges, _, err = b.Desired(testAccount, usage)
	if err != nil || len(charges) != 1 || charges[0].Quantity != 3 {
		t.Errorf("after a failure: %+v, %v; want one charge of 3", charges, err)
	}
}

func TestDesiredMergesAndReportsUnbilled(t *testing.T) {
	t.Parallel()
	book := testBook()
	book.Items[kaspersky.AppKESBSelect] = ItemMapping{ByCategory: [3]string{"KESB-ADV-WS", "kesb-adv-srv ", ""}}
	b := newTestBiller(t, book)
	usage := []Usage{
		{App: kaspersky.AppKESBAdvanced, Category: kaspersky.WindowsWorkstation, Quantity: 5},
		{App: kaspersky.AppKESBAdvanced, Quantity: 2},
		{App: kaspersky.AppKESBSelect, Category: kaspersky.WindowsWorkstation, Quantity: 7},
		{App: kaspersky.AppKESBSelect, Category: kaspersky.WindowsServer, Quantity: 1},
		{App: kaspersky.AppKESBSelect, Category: kaspersky.NonWindows, Quantity: 4},
		{App: kaspersky.AppTotalSecurity, Category: kaspersky.WindowsServer, Quantity: 9},
		{App: kaspersky.AppKESCloudPlus, Quantity: 3},
		{App: kaspersky.AppOffice365, Quantity: 0},
	}
	charges, unbilled, err := b.Desired(testAccount, usage)
	if err != nil {
		t.Fatal(err)
	}
	want := []Charge{
		{ItemID: "KESB-ADV-SRV", Description: OwnerMarker + " Kaspersky Endpoint Security for Business Advanced, Windows servers; Kaspersky Endpoint Security for Business Select, Windows servers", Quantity: 1, Price: 550, PriceLevel: 1},
		{ItemID: "KESB-ADV-WS", Description: OwnerMarker + " Kaspersky Endpoint Security for Business Advanced, Windows workstations; Kaspersky Endpoint Security for Business Select, Windows workstations", Quantity: 12, Price: 450, PriceLevel: 1},
		{ItemID: "KESC-PLUS", Description: OwnerMarker + " Kaspersky Endpoint Security Cloud Plus", Quantity: 3, Price: 1050, PriceLevel: 1},
	}
	if d := cmp.Diff(want, charges); d != "" {
		t.Errorf("Desired (-want +got):\n%s", d)
	}
	wantUnbilled := []Usage{
		{App: kaspersky.AppKESBAdvanced, Quantity: 2},
		{App: kaspersky.AppKESBSelect, Category: kaspersky.NonWindows, Quantity: 4},
		{App: kaspersky.AppTotalSecurity, Category: kaspersky.WindowsServer, Quantity: 9},
	}
	if d := cmp.Diff(wantUnbilled, unbilled); d != "" {
		t.Errorf("unbilled (-want +got):\n%s", d)
	}
}

func TestNewBillerRejectsBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		book PriceBook
		want string
	}{
		{"per-user by category", PriceBook{Items: map[kaspersky.AppID]ItemMapping{kaspersky.AppKESCloudPlus: {ByCategory: [3]string{"A", "B", "C"}}}}, `"kes-cloud-plus" is licensed per user`},
		{"per-mailbox by category", PriceBook{BillByCategory: true, Items: map[kaspersky.AppID]ItemMapping{kaspersky.AppOffice365: {Item: "X", ByCategory: [3]string{"A"}}}}, `"office365" is licensed per mailbox`},
		{"by category without category items", PriceBook{BillByCategory: true, Items: map[kaspersky.AppID]ItemMapping{kaspersky.AppKESBSelect: {Item: "X"}}}, `"kesb-select" has no category items`},
		{"no item", PriceBook{Items: map[kaspersky.AppID]ItemMapping{kaspersky.AppKESBSelect: {Item: "  "}}}, `Item of application "kesb-select" is empty`},
		{"no per-user item", PriceBook{BillByCategory: true, Items: map[kaspersky.AppID]ItemMapping{kaspersky.AppKESCloud: {}}}, `Item of application "kes-cloud" is empty`},
		{"empty application id", PriceBook{Items: map[kaspersky.AppID]ItemMapping{"": {Item: "X"}}}, "no application id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewBiller(tt.book, PriceList{})
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewBiller error = %v, want ErrInvalidConfig naming %q", err, tt.want)
			}
		})
	}
	if _, err := NewBiller(testBook(), nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("nil prices: error = %v, want ErrInvalidConfig", err)
	}
}

func TestDesiredRejectsBadAccount(t *testing.T) {
	t.Parallel()
	b := newTestBiller(t, testBook())
	usage := []Usage{{App: kaspersky.AppKESCloudPlus, Quantity: 3}}
	for _, acct := range []Account{
		{TenantID: "t1", AccountNumber: 1, AgreementNumber: 0, PriceLevel: 1},
		{TenantID: "", AccountNumber: 1, AgreementNumber: 7, PriceLevel: 1},
	} {
		if charges, _, err := b.Desired(acct, usage); !errors.Is(err, ErrInvalidConfig) || charges != nil {
			t.Errorf("Desired(%+v) = %v, %v; want ErrInvalidConfig", acct, charges, err)
		}
	}
}

func TestMisuseIsAnErrorNotAPanic(t *testing.T) {
	t.Parallel()
	var zero Biller
	if _, _, err := zero.Desired(testAccount, []Usage{{App: kaspersky.AppOffice365, Quantity: 1}}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("Desired on a zero Biller: %v, want ErrInvalidConfig", err)
	}
	if got := zero.Count(nil, now); len(got) != 0 {
		t.Errorf("Count(nil) = %v, want nothing", got)
	}
	b := newTestBiller(t, testBook())
	if _, err := b.Plan(t.Context(), nil, []Account{testAccount}, nil, now); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("Plan with a nil reader: %v, want ErrInvalidConfig", err)
	}
}

// TestCompileOneItemPerID: ids that SameItem equates are one item of the
// price book, whatever their spelling (the Kelvin sign folds to K, as Tigerpaw
// and Diff compare ids).
func TestCompileOneItemPerID(t *testing.T) {
	t.Parallel()
	cb, err := compile(PriceBook{Items: map[kaspersky.AppID]ItemMapping{
		kaspersky.AppKESBAdvanced: {Item: "K-1"},
		kaspersky.AppKESBSelect:   {Item: " \u212a-1"},
		kaspersky.AppKESCloud:     {Item: "k-1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(cb.items) != 1 {
		t.Fatalf("items = %+v, want one item for the three spellings", cb.items)
	}
	if !SameItem(cb.items[0].id, "k-1") {
		t.Errorf("item id = %q", cb.items[0].id)
	}
}
