package mappingtest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// Directory is an in-memory [mapping.Directory]: a small Tigerpaw with accounts,
// external product cross-references, agreements, price levels, price book items
// and account custom fields. Tests fill it with the Add… methods, inject faults
// with FailNext and inspect calls and field values. It is safe for concurrent
// use. The zero value is not usable: call NewDirectory.
type Directory struct {
	mu         sync.Mutex
	accounts   []mapping.Account
	crossRefs  map[[2]int]bool
	products   []mapping.ExternalProduct
	agreements []mapping.Agreement
	levels     []mapping.PriceLevel
	items      map[string]mapping.PriceBookItem // by billing.ItemKey
	categories []string
	fields     []mapping.FieldDefinition
	values     map[int]map[int]string // field id → account → value
	nextField  int
	faults     map[string][]error
	calls      map[string]int
}

// NewDirectory returns an empty Directory.
func NewDirectory() *Directory {
	return &Directory{
		crossRefs: map[[2]int]bool{},
		items:     map[string]mapping.PriceBookItem{},
		values:    map[int]map[int]string{},
		nextField: 100,
		faults:    map[string][]error{},
		calls:     map[string]int{},
	}
}

// AddAccount adds accounts.
func (d *Directory) AddAccount(accts ...mapping.Account) *Directory {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.accounts = append(d.accounts, accts...)
	return d
}

// CrossReference cross-references account to an external product.
func (d *Directory) CrossReference(account, externalProductID int) *Directory {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.crossRefs[[2]int{account, externalProductID}] = true
	return d
}

// AddExternalProduct adds External Products (ExternalProducts lists them in
// the order added).
func (d *Directory) AddExternalProduct(products ...mapping.ExternalProduct) *Directory {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.products = append(d.products, products...)
	return d
}

// AddAgreement adds agreements (each belongs to its Account).
func (d *Directory) AddAgreement(agreements ...mapping.Agreement) *Directory {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.agreements = append(d.agreements, agreements...)
	return d
}

// AddPriceLevel adds price levels.
func (d *Directory) AddPriceLevel(levels ...mapping.PriceLevel) *Directory {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.levels = append(d.levels, levels...)
	return d
}

// AddItem adds price book items with the given ItemIds.
func (d *Directory) AddItem(ids ...string) *Directory {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range ids {
		d.items[billing.ItemKey(id)] = mapping.PriceBookItem{ID: id, Description: "item " + id}
	}
	return d
}

// SetFieldValue writes an account custom field as a Tigerpaw user would,
// creating the category and field if needed. It is not counted as a call.
func (d *Directory) SetFieldValue(label string, account int, value string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !slices.Contains(d.categories, mapping.FieldCategory) {
		d.categories = append(d.categories, mapping.FieldCategory)
	}
	def, ok := d.field(label)
	if !ok {
		def = d.createField(mapping.FieldCategory, label)
	}
	d.set(def.ID, account, value)
}

// FailNext makes the next calls of method (a method name of mapping.Directory,
// e.g. "SetAccountFieldValue") fail, one error per call, in order.
func (d *Directory) FailNext(method string, errs ...error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults[method] = append(d.faults[method], errs...)
}

// Calls returns how many times method was called.
func (d *Directory) Calls(method string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[method]
}

// ResetCalls sets every call count to zero.
func (d *Directory) ResetCalls() {
	d.mu.Lock()
	defer d.mu.Unlock()
	clear(d.calls)
}

// Categories returns the account custom field categories.
func (d *Directory) Categories() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.categories)
}

// Fields returns the account custom field definitions.
func (d *Directory) Fields() []mapping.FieldDefinition {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.fields)
}

// FieldValues returns the non-empty values of the field with the given label,
// by account; nil if there is no such field.
func (d *Directory) FieldValues(label string) map[int]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	def, ok := d.field(label)
	if !ok {
		return nil
	}
	return maps.Clone(d.values[def.ID])
}

// enter counts a call of method and returns its injected fault, or ctx's error.
func (d *Directory) enter(ctx context.Context, method string) error {
	d.calls[method]++
	if err := ctx.Err(); err != nil {
		return err
	}
	if f := d.faults[method]; len(f) > 0 {
		d.faults[method] = f[1:]
		return f[0]
	}
	return nil
}

func (d *Directory) field(label string) (mapping.FieldDefinition, bool) {
	for _, f := range d.fields {
		if f.Category == mapping.FieldCategory && strings.EqualFold(f.Label, label) {
			return f, true
		}
	}
	return mapping.FieldDefinition{}, false
}

func (d *Directory) createField(category, label string) mapping.FieldDefinition {
	d.nextField++
	def := mapping.FieldDefinition{ID: d.nextField, Category: category, Label: label}
	d.fields = append(d.fields, def)
	return def
}

func (d *Directory) set(fieldID, account int, value string) {
	if d.values[fieldID] == nil {
		d.values[fieldID] = map[int]string{}
	}
	if value == "" {
		delete(d.values[fieldID], account)
		return
	}
	d.values[fieldID][account] = value
}

// Accounts implements mapping.Directory.
func (d *Directory) Accounts(ctx context.Context) ([]mapping.Account, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "Accounts"); err != nil {
		return nil, err
	}
	return slices.Clone(d.accounts), nil
}

// CrossReferenced implements mapping.Directory.
func (d *Directory) CrossReferenced(ctx context.Context, account, externalProductID int) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "CrossReferenced"); err != nil {
		return false, err
	}
	return d.crossRefs[[2]int{account, externalProductID}], nil
}

// Agreements implements mapping.Directory.
func (d *Directory) Agreements(ctx context.Context, account int) ([]mapping.Agreement, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "Agreements"); err != nil {
		return nil, err
	}
	var out []mapping.Agreement
	for _, a := range d.agreements {
		if a.Account == account {
			out = append(out, a)
		}
	}
	return out, nil
}

// PriceLevels implements mapping.Directory.
func (d *Directory) PriceLevels(ctx context.Context) ([]mapping.PriceLevel, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "PriceLevels"); err != nil {
		return nil, err
	}
	return slices.Clone(d.levels), nil
}

// PriceBookItem implements mapping.Directory.
func (d *Directory) PriceBookItem(ctx context.Context, itemID string) (mapping.PriceBookItem, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "PriceBookItem"); err != nil {
		return mapping.PriceBookItem{}, err
	}
	it, ok := d.items[billing.ItemKey(itemID)] // as Tigerpaw matches ids
	if !ok {
		return mapping.PriceBookItem{}, fmt.Errorf("mappingtest: price book item %q: %w", itemID, mapping.ErrNotFound)
	}
	return it, nil
}

// PriceBookItems lists the price book items, ordered by ItemId (what the
// console's Price book items tab offers in its drop-downs).
func (d *Directory) PriceBookItems(ctx context.Context) ([]mapping.PriceBookItem, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "PriceBookItems"); err != nil {
		return nil, err
	}
	out := make([]mapping.PriceBookItem, 0, len(d.items))
	for _, it := range d.items {
		out = append(out, it)
	}
	slices.SortFunc(out, func(a, b mapping.PriceBookItem) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// ExternalProducts implements mapping.ExternalProductLister: the External
// Products added, in order.
func (d *Directory) ExternalProducts(ctx context.Context) ([]mapping.ExternalProduct, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "ExternalProducts"); err != nil {
		return nil, err
	}
	return slices.Clone(d.products), nil
}

// AccountFieldCategories implements mapping.CustomFields.
func (d *Directory) AccountFieldCategories(ctx context.Context) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "AccountFieldCategories"); err != nil {
		return nil, err
	}
	return slices.Clone(d.categories), nil
}

// CreateAccountFieldCategory implements mapping.CustomFields. Creating an
// existing category fails, as a unique name would in Tigerpaw.
func (d *Directory) CreateAccountFieldCategory(ctx context.Context, name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "CreateAccountFieldCategory"); err != nil {
		return err
	}
	if slices.ContainsFunc(d.categories, func(c string) bool { return strings.EqualFold(c, name) }) {
		return fmt.Errorf("mappingtest: category %q already exists", name)
	}
	d.categories = append(d.categories, name)
	return nil
}

// AccountFields implements mapping.CustomFields.
func (d *Directory) AccountFields(ctx context.Context) ([]mapping.FieldDefinition, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "AccountFields"); err != nil {
		return nil, err
	}
	return slices.Clone(d.fields), nil
}

// CreateAccountTextField implements mapping.CustomFields. The category must
// exist and the label be new in it.
func (d *Directory) CreateAccountTextField(ctx context.Context, category, label string) (mapping.FieldDefinition, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "CreateAccountTextField"); err != nil {
		return mapping.FieldDefinition{}, err
	}
	if !slices.Contains(d.categories, category) {
		return mapping.FieldDefinition{}, fmt.Errorf("mappingtest: category %q: %w", category, mapping.ErrNotFound)
	}
	if slices.ContainsFunc(d.fields, func(f mapping.FieldDefinition) bool {
		return f.Category == category && strings.EqualFold(f.Label, label)
	}) {
		return mapping.FieldDefinition{}, fmt.Errorf("mappingtest: field %q already exists", label)
	}
	return d.createField(category, label), nil
}

// AccountFieldValues implements mapping.CustomFields.
func (d *Directory) AccountFieldValues(ctx context.Context, fieldID int) (map[int]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "AccountFieldValues"); err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(d.fields, func(f mapping.FieldDefinition) bool { return f.ID == fieldID }) {
		return nil, fmt.Errorf("mappingtest: custom field %d: %w", fieldID, mapping.ErrNotFound)
	}
	out := maps.Clone(d.values[fieldID])
	if out == nil {
		out = map[int]string{}
	}
	return out, nil
}

// SetAccountFieldValue implements mapping.CustomFields. The account and the
// field must exist.
func (d *Directory) SetAccountFieldValue(ctx context.Context, account, fieldID int, value string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.enter(ctx, "SetAccountFieldValue"); err != nil {
		return err
	}
	if !slices.ContainsFunc(d.fields, func(f mapping.FieldDefinition) bool { return f.ID == fieldID }) {
		return fmt.Errorf("mappingtest: custom field %d: %w", fieldID, mapping.ErrNotFound)
	}
	if !slices.ContainsFunc(d.accounts, func(a mapping.Account) bool { return a.Number == account }) {
		return fmt.Errorf("mappingtest: account %d: %w", account, mapping.ErrNotFound)
	}
	d.set(fieldID, account, value)
	return nil
}

var _ mapping.Directory = (*Directory)(nil)
