package tigerpawtest

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// Account is an account of the fake.
type Account struct {
	Number              int
	Name                string
	Type                string // an account type's Value
	Status              string
	RepNumber           int
	Phone               string
	ParentNumber        int
	DefaultPriceLevelID int
}

// AccountType is an entry of the account types table.
type AccountType struct {
	ID              int
	Value           string
	IsSystemEntry   bool
	IsSystemDefault bool
}

// Agreement is an agreement of an account. BillingPeriod > 0 makes it recurring.
type Agreement struct {
	Number                   int
	AccountNumber            int
	Type                     string
	StartDate                time.Time
	EndDate                  time.Time
	BillingPeriod            int
	BillingPeriodDescription string
	AutomatedBilling         bool
	ExternalProduct          string
	ContractNumber           int
}

// Charge is an additional charge of an agreement. Price is in cents.
type Charge struct {
	DetailID              int
	AgreementNumber       int
	SpecialItemID         string
	ItemDescription       string
	Quantity              int
	Price                 int64
	PriceLevel            int
	Source                int
	PrintWhenQuantityZero bool
	DeleteAfterInvoicing  bool
	UseFlatPrice          bool
	DateAdded             time.Time
}

// PriceBookItem is a price book item with its selling price (in cents) per price
// level id.
type PriceBookItem struct {
	Number        int
	ItemID        string
	Description   string
	Type          string
	Status        string
	Category      string
	Inactive      bool
	SellingPrices map[int]int64
}

// PriceLevel is a price level.
type PriceLevel struct {
	ID          int
	Description string
}

// Rep is a Tigerpaw rep.
type Rep struct {
	Number   int
	Name     string
	Inactive bool
}

// Status is a service order status. Closed (a property of the fake) makes an
// order set to it closed: DateTimeClosed is stamped.
type Status struct {
	Name        string
	SystemEntry bool
	Rank        int
	Closed      bool
}

// Board is a dispatch board.
type Board struct {
	ID          int
	Description string
}

// Priority is a service order priority.
type Priority struct {
	Name string
	Rank int
}

// ServiceOrderType is a service order type.
type ServiceOrderType struct {
	Name     string
	Priority string
}

// ExternalProduct is an external product. ProductType is served as the
// integer 18.2.1 documents; set ProductTypeName to serve a name in its place,
// as a server that writes enum names would.
type ExternalProduct struct {
	ID              int
	Product         string
	ProductType     int
	ProductTypeName string
	SystemEntry     bool
	Active          bool
}

// CrossReference links an account to an external product.
type CrossReference struct {
	ID                int
	AccountNumber     int
	ExternalProductID int
	ExternalID        string
	Comment           string
}

// CustomFieldDefinition is an account custom field definition.
type CustomFieldDefinition struct {
	ID          int
	Category    string
	Label       string
	Description string
	FieldType   string
	MaxLength   int
}

// Lock says who has a service order open in the UI.
type Lock struct {
	RepNumber int
	RepName   string
}

// ServiceOrder is a service order of the fake.
type ServiceOrder struct {
	Number             int
	AccountNumber      int
	Status             string
	Priority           string
	Type               string
	BoardID            int
	TechnicianAssigned int
	TakenBy            int
	BriefDescription   string
	WorkRequested      string
	WorkPerformed      string
	Reference          string
	Opened             time.Time
	Closed             time.Time
	OpenTasks          int
	Lock               *Lock
	// Notes are the order's notes, oldest first.
	Notes []ServiceOrderNote
}

// ServiceOrderNote is a note of a service order.
type ServiceOrderNote struct {
	Number    int
	Topic     string
	Note      string
	RepNumber int
	Created   time.Time
}

// Snapshot is a copy of the fake's state, in a stable order, for cmp.Diff.
type Snapshot struct {
	Accounts               []Account
	AccountTypes           []AccountType
	Agreements             []Agreement
	Charges                map[int][]Charge // by agreement number, by DetailID
	PriceBookItems         []PriceBookItem
	PriceLevels            []PriceLevel
	Reps                   []Rep
	Statuses               []Status
	Boards                 []Board
	Priorities             []Priority
	ServiceOrderTypes      []ServiceOrderType
	ExternalProducts       []ExternalProduct
	CrossReferences        []CrossReference
	CustomFieldCategories  []string
	CustomFieldDefinitions []CustomFieldDefinition
	CustomFieldValues      map[int]map[int]string // account → field id → value
	ServiceOrders          []ServiceOrder
}

type state struct {
	accounts         map[int]*Account
	accountTypes     map[int]AccountType
	agreements       map[int]*Agreement
	charges          map[int]*Charge
	items            map[int]*PriceBookItem
	priceLevels      map[int]PriceLevel
	reps             map[int]Rep
	statuses         []Status
	boards           map[int]Board
	priorities       []Priority
	soTypes          []ServiceOrderType
	externalProducts map[int]ExternalProduct
	xrefs            map[int]CrossReference
	cfCategories     []string
	cfDefs           map[int]CustomFieldDefinition
	cfValues         map[int]map[int]string
	orders           map[int]*ServiceOrder
	next             map[string]int
}

func newState() *state {
	return &state{
		accounts: map[int]*Account{}, accountTypes: map[int]AccountType{}, agreements: map[int]*Agreement{},
		charges: map[int]*Charge{}, items: map[int]*PriceBookItem{}, priceLevels: map[int]PriceLevel{},
		reps: map[int]Rep{}, boards: map[int]Board{}, externalProducts: map[int]ExternalProduct{},
		xrefs: map[int]CrossReference{}, cfDefs: map[int]CustomFieldDefinition{}, cfValues: map[int]map[int]string{},
		orders: map[int]*ServiceOrder{}, next: map[string]int{},
	}
}

// id returns n when positive (and remembers it), else allocates the next id of
// the kind.
func (st *state) id(kind string, n int) int {
	if n <= 0 {
		st.next[kind]++
		n = st.next[kind]
	}
	if n > st.next[kind] {
		st.next[kind] = n
	}
	return n
}

// AddAccount adds or replaces an account; Number 0 allocates one. It returns the
// account stored.
func (s *Server) AddAccount(a Account) Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	a.Number = s.st.id("account", a.Number)
	s.st.accounts[a.Number] = &a
	return a
}

// AddAccountType adds or replaces an account type; ID 0 allocates one.
func (s *Server) AddAccountType(t AccountType) AccountType {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.ID = s.st.id("accountType", t.ID)
	s.st.accountTypes[t.ID] = t
	return t
}

// AddAgreement adds or replaces an agreement; Number 0 allocates one.
func (s *Server) AddAgreement(a Agreement) Agreement {
	s.mu.Lock()
	defer s.mu.Unlock()
	a.Number = s.st.id("agreement", a.Number)
	s.st.agreements[a.Number] = &a
	return a
}

// AddCharge adds or replaces a charge without the checks of the API (to seed
// charges someone else created); DetailID 0 allocates one, unique server-wide.
func (s *Server) AddCharge(c Charge) Charge {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.DetailID = s.st.id("charge", c.DetailID)
	if c.DateAdded.IsZero() {
		c.DateAdded = s.now().Truncate(time.Second)
	}
	s.st.charges[c.DetailID] = &c
	return c
}

// AddPriceBookItem adds or replaces a price book item; Number 0 allocates one.
func (s *Server) AddPriceBookItem(it PriceBookItem) PriceBookItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	it.Number = s.st.id("item", it.Number)
	stored := it
	stored.SellingPrices = maps.Clone(it.SellingPrices)
	s.st.items[it.Number] = &stored
	return it
}

// AddPriceLevel adds or replaces a price level; ID 0 allocates one.
func (s *Server) AddPriceLevel(p PriceLevel) PriceLevel {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.ID = s.st.id("priceLevel", p.ID)
	s.st.priceLevels[p.ID] = p
	return p
}

// AddRep adds or replaces a rep; Number 0 allocates one.
func (s *Server) AddRep(r Rep) Rep {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.Number = s.st.id("rep", r.Number)
	s.st.reps[r.Number] = r
	return r
}

// AddStatus adds or replaces (by name, ignoring case) a service order status.
func (s *Server) AddStatus(st Status) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.statuses = upsertNamed(s.st.statuses, st, func(x Status) string { return x.Name })
	return st
}

// AddBoard adds or replaces a dispatch board; ID 0 allocates one.
func (s *Server) AddBoard(b Board) Board {
	s.mu.Lock()
	defer s.mu.Unlock()
	b.ID = s.st.id("board", b.ID)
	s.st.boards[b.ID] = b
	return b
}

// AddPriority adds or replaces (by name) a priority.
func (s *Server) AddPriority(p Priority) Priority {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.priorities = upsertNamed(s.st.priorities, p, func(x Priority) string { return x.Name })
	return p
}

// AddServiceOrderType adds or replaces (by name) a service order type.
func (s *Server) AddServiceOrderType(t ServiceOrderType) ServiceOrderType {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.soTypes = upsertNamed(s.st.soTypes, t, func(x ServiceOrderType) string { return x.Name })
	return t
}

// AddExternalProduct adds or replaces an external product; ID 0 allocates one.
func (s *Server) AddExternalProduct(p ExternalProduct) ExternalProduct {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.ID = s.st.id("externalProduct", p.ID)
	s.st.externalProducts[p.ID] = p
	return p
}

// CrossReference links an account to an external product and returns the link.
func (s *Server) CrossReference(accountNumber, externalProductID int, externalID string) CrossReference {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := CrossReference{ID: s.st.id("xref", 0), AccountNumber: accountNumber, ExternalProductID: externalProductID, ExternalID: externalID}
	s.st.xrefs[x.ID] = x
	return x
}

// AddCustomFieldCategory adds an account custom field category (no duplicate).
func (s *Server) AddCustomFieldCategory(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.addCategory(name)
}

func (st *state) addCategory(name string) bool {
	for _, c := range st.cfCategories {
		if strings.EqualFold(c, name) {
			return false
		}
	}
	st.cfCategories = append(st.cfCategories, name)
	return true
}

// AddCustomFieldDefinition adds or replaces an account custom field definition;
// ID 0 allocates one. Its category is added when missing.
func (s *Server) AddCustomFieldDefinition(d CustomFieldDefinition) CustomFieldDefinition {
	s.mu.Lock()
	defer s.mu.Unlock()
	d.ID = s.st.id("customField", d.ID)
	if d.FieldType == "" {
		d.FieldType = "Text"
	}
	s.st.addCategory(d.Category)
	s.st.cfDefs[d.ID] = d
	return d
}

// SetCustomFieldValue sets the value of a custom field of an account.
func (s *Server) SetCustomFieldValue(accountNumber, fieldID int, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.setValue(accountNumber, fieldID, value)
}

func (st *state) setValue(account, field int, value string) {
	if st.cfValues[account] == nil {
		st.cfValues[account] = map[int]string{}
	}
	st.cfValues[account][field] = value
}

// AddServiceOrder adds or replaces a service order; Number 0 allocates one.
func (s *Server) AddServiceOrder(so ServiceOrder) ServiceOrder {
	s.mu.Lock()
	defer s.mu.Unlock()
	so.Number = s.st.id("serviceOrder", so.Number)
	if so.Opened.IsZero() {
		so.Opened = s.now().Truncate(time.Second)
	}
	if so.Lock != nil {
		l := *so.Lock
		so.Lock = &l
	}
	s.st.orders[so.Number] = &so
	return copyOrder(&so)
}

// LockServiceOrder locks an order as if a rep had it open in the Tigerpaw UI. It
// reports whether the order exists.
func (s *Server) LockServiceOrder(number int, by Lock) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	so, ok := s.st.orders[number]
	if ok {
		so.Lock = &by
	}
	return ok
}

// UnlockServiceOrder unlocks an order. It reports whether the order exists.
func (s *Server) UnlockServiceOrder(number int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	so, ok := s.st.orders[number]
	if ok {
		so.Lock = nil
	}
	return ok
}

// ServiceOrder returns a copy of one service order.
func (s *Server) ServiceOrder(number int) (ServiceOrder, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	so, ok := s.st.orders[number]
	if !ok {
		return ServiceOrder{}, false
	}
	return copyOrder(so), true
}

// Charges returns copies of the charges of an agreement, by DetailID.
func (s *Server) Charges(agreementNumber int) []Charge {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.chargesOf(agreementNumber)
}

func (st *state) chargesOf(agreement int) []Charge {
	// Filter before sorting: the agreement's charges are few, the server's many.
	var ids []int
	for id, c := range st.charges {
		if c.AgreementNumber == agreement {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := make([]Charge, 0, len(ids))
	for _, id := range ids {
		out = append(out, *st.charges[id])
	}
	return out
}

func copyOrder(so *ServiceOrder) ServiceOrder {
	c := *so
	c.Notes = slices.Clone(so.Notes)
	if so.Lock != nil {
		l := *so.Lock
		c.Lock = &l
	}
	return c
}

// Snapshot returns a copy of the whole state.
func (s *Server) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	snap := Snapshot{
		Charges:                map[int][]Charge{},
		CustomFieldValues:      map[int]map[int]string{},
		Statuses:               slices.Clone(st.statuses),
		Priorities:             slices.Clone(st.priorities),
		ServiceOrderTypes:      slices.Clone(st.soTypes),
		CustomFieldCategories:  slices.Clone(st.cfCategories),
		Accounts:               derefSorted(st.accounts),
		Agreements:             derefSorted(st.agreements),
		AccountTypes:           valuesSorted(st.accountTypes),
		PriceLevels:            valuesSorted(st.priceLevels),
		Reps:                   valuesSorted(st.reps),
		Boards:                 valuesSorted(st.boards),
		ExternalProducts:       valuesSorted(st.externalProducts),
		CrossReferences:        valuesSorted(st.xrefs),
		CustomFieldDefinitions: valuesSorted(st.cfDefs),
	}
	for _, id := range slices.Sorted(maps.Keys(st.items)) {
		it := *st.items[id]
		it.SellingPrices = maps.Clone(it.SellingPrices)
		snap.PriceBookItems = append(snap.PriceBookItems, it)
	}
	for _, id := range slices.Sorted(maps.Keys(st.charges)) {
		c := st.charges[id]
		snap.Charges[c.AgreementNumber] = append(snap.Charges[c.AgreementNumber], *c)
	}
	for acct, vals := range st.cfValues {
		snap.CustomFieldValues[acct] = maps.Clone(vals)
	}
	for _, n := range slices.Sorted(maps.Keys(st.orders)) {
		snap.ServiceOrders = append(snap.ServiceOrders, copyOrder(st.orders[n]))
	}
	return snap
}

func derefSorted[T any](m map[int]*T) []T {
	var out []T
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, *m[k])
	}
	return out
}

func valuesSorted[T any](m map[int]T) []T {
	var out []T
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}

func upsertNamed[T any](list []T, v T, name func(T) string) []T {
	for i, x := range list {
		if strings.EqualFold(name(x), name(v)) {
			list[i] = v
			return list
		}
	}
	return append(list, v)
}
