package billing

import (
	"errors"
	"fmt"
	"slices"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// ErrInvalidConfig is wrapped by the errors that report a price book mapping or
// account settings billing cannot work with.
var ErrInvalidConfig = errors.New("invalid billing configuration")

// ErrNoPrice is wrapped by the errors of Desired when a mapped price book item has
// no selling price at the account's price level.
var ErrNoPrice = errors.New("no price for the item at the price level")

// ItemMapping names the Tigerpaw price book items (their item ids, Tigerpaw's
// SpecialItemId) that one application is billed to.
type ItemMapping struct {
	// Item bills the application's whole usage. It is used for per-device
	// applications when the price book does not bill by category, and always for
	// per-user and per-mailbox applications.
	Item string
	// ByCategory holds the items for Windows workstations, Windows servers and
	// non-Windows devices, in the order of kaspersky.Categories. It is used for
	// per-device applications when the price book bills by category; an empty entry
	// leaves that category unbilled (Desired reports it as unbilled usage).
	ByCategory [3]string
}

// PriceBook is the mapping of applications to price book items, the billing
// part of the integration's configuration.
type PriceBook struct {
	// BillByCategory bills Windows workstations, Windows servers and non-Windows
	// devices of per-device applications to separate items.
	BillByCategory bool
	// Items maps each billed application to its items. Applications that are not in
	// the map are not billed.
	Items map[kaspersky.AppID]ItemMapping
}

// Account is the billing settings of one Tigerpaw account with automatic
// billing on: the tenant it is mapped to, the recurring agreement that carries the
// charges and the price level that prices them.
type Account struct {
	// TenantID is the id of the KSC virtual server or Business Hub company.
	TenantID        string
	AccountNumber   int
	AgreementNumber int
	PriceLevel      int
}

// validate reports the first setting billing cannot work with.
func (a Account) validate() error {
	switch {
	case a.AgreementNumber <= 0:
		return fmt.Errorf("billing: account %d: AgreementNumber %d is not an agreement: %w", a.AccountNumber, a.AgreementNumber, ErrInvalidConfig)
	case a.TenantID == "":
		return fmt.Errorf("billing: account %d: TenantID is empty: %w", a.AccountNumber, ErrInvalidConfig)
	}
	return nil
}

// PriceLookup gives the selling price of a price book item at a price level.
type PriceLookup interface {
	// Price returns the selling price of the item at the level, and false when the
	// item has no price there.
	Price(item string, level int) (Money, bool)
}

// PriceKey identifies one price in a PriceList.
type PriceKey struct {
	Item  string
	Level int
}

// PriceList is a PriceLookup held in memory.
type PriceList map[PriceKey]Money

// Price implements PriceLookup.
func (p PriceList) Price(item string, level int) (Money, bool) {
	m, ok := p[PriceKey{Item: item, Level: level}]
	return m, ok
}

// ErrInvalidPrice is wrapped by the reason an agreement is skipped when a price
// it needs cannot be trusted: a negative selling price, or a price level the
// server listed twice for the item.
var ErrInvalidPrice = errors.New("invalid price")

// PriceChecker is a PriceLookup that can tell why it holds no usable price for
// an item at a level. Desired asks it before it prices a charge, and skips the
// agreement with the reason it gives.
type PriceChecker interface {
	PriceLookup
	// PriceErr returns why the item's price at the level cannot be used, or nil.
	PriceErr(item string, level int) error
}

// Prices is a PriceChecker built from prices as the server lists them (see
// Add): it keeps the valid ones and the reasons it refused the others, so that
// only the agreements that need a refused price are skipped. The zero value is
// empty and ready to use.
type Prices struct {
	// List holds the accepted prices.
	List PriceList
	// Refused holds why a price was refused, by item and level.
	Refused map[PriceKey]error
}

var _ PriceChecker = (*Prices)(nil)

// Add records the selling price the server lists for the item at a level. A
// negative price is refused, and so is a level listed twice for one item, even
// at the same price: a list that repeats itself may be missing something else.
// Call it once per entry of the server's list.
func (p *Prices) Add(item string, level int, price Money) {
	k := PriceKey{Item: item, Level: level}
	if p.List == nil {
		p.List = PriceList{}
	}
	if p.Refused == nil {
		p.Refused = map[PriceKey]error{}
	}
	if _, refused := p.Refused[k]; refused {
		return
	}
	if prev, twice := p.List[k]; twice {
		delete(p.List, k)
		p.Refused[k] = fmt.Errorf("billing: item %q: price level %d is listed twice (%s and %s): %w", item, level, prev, price, ErrInvalidPrice)
		return
	}
	if price < 0 {
		p.Refused[k] = fmt.Errorf("billing: item %q at price level %d: the selling price %s is negative: %w", item, level, price, ErrInvalidPrice)
		return
	}
	p.List[k] = price
}

// Refuse records that the item's price at a level cannot be trusted, for
// reason: the server's answer for the item was malformed, say. The agreements
// that need the price are skipped with an error wrapping ErrInvalidPrice and
// reason.
func (p *Prices) Refuse(item string, level int, reason error) {
	k := PriceKey{Item: item, Level: level}
	if p.Refused == nil {
		p.Refused = map[PriceKey]error{}
	}
	delete(p.List, k)
	p.Refused[k] = fmt.Errorf("billing: item %q at price level %d: %w: %w", item, level, ErrInvalidPrice, reason)
}

// Price implements PriceLookup.
func (p *Prices) Price(item string, level int) (Money, bool) {
	return p.List.Price(item, level)
}

// PriceErr implements PriceChecker.
func (p *Prices) PriceErr(item string, level int) error {
	return p.Refused[PriceKey{Item: item, Level: level}]
}

// appName is the application's display name for charge descriptions.
func appName(app kaspersky.AppID) string {
	if a, ok := kaspersky.LookupApplication(app); ok {
		return a.Name
	}
	return string(app)
}

// compiledApp is the billing of one mapped application: whether it is billed by
// category, and item slots (indexes into compiledBook.items), -1 where nothing
// is mapped.
type compiledApp struct {
	byCategory bool
	total      int32
	byCat      [3]int32
}

// compiledItem is one distinct price book item of the mapping.
type compiledItem struct {
	id          string
	description string
}

// compiledBook is a validated PriceBook prepared for the hot path: items sorted
// by id, descriptions built once.
type compiledBook struct {
	apps  map[kaspersky.AppID]compiledApp
	items []compiledItem
}

// compile validates the price book and prepares it.
func compile(book PriceBook) (*compiledBook, error) {
	type source struct {
		app kaspersky.AppID
		cat kaspersky.Category // 0: the whole application
	}
	ids := map[string]string{} // canonical id → first spelling
	sources := map[string][]source{}
	add := func(app kaspersky.AppID, cat kaspersky.Category, field, item string) error {
		item = TrimItemID(item)
		if item == "" {
			return fmt.Errorf("billing: price book: %s of application %q is empty: %w", field, app, ErrInvalidConfig)
		}
		key := ItemKey(item)
		if _, ok := ids[key]; !ok {
			ids[key] = item
		}
		sources[key] = append(sources[key], source{app, cat})
		return nil
	}
	apps := slices.Sorted(func(yield func(kaspersky.AppID) bool) {
		for app := range book.Items {
			if !yield(app) {
				return
			}
		}
	})
	for _, app := range apps {
		if app == "" {
			return nil, fmt.Errorf("billing: price book: an entry has no application id: %w", ErrInvalidConfig)
		}
		m := book.Items[app]
		hasCat := m.ByCategory != [3]string{}
		switch {
		case kaspersky.SingleItemOnly(app) && hasCat:
			return nil, fmt.Errorf("billing: price book: application %q is licensed %s and cannot be billed by category: %w", app, kaspersky.LicensingOf(app), ErrInvalidConfig)
		case kaspersky.BilledByCategory(app, book.BillByCategory):
			if !hasCat {
				return nil, fmt.Errorf("billing: price book: bill by category is on but application %q has no category items (ByCategory): %w", app, ErrInvalidConfig)
			}
			for i, item := range m.ByCategory {
				if TrimItemID(item) == "" {
					continue
				}
				if err := add(app, kaspersky.Categories[i], "ByCategory["+kaspersky.Categories[i].String()+"]", item); err != nil {
					return nil, err
				}
			}
		default:
			if err := add(app, 0, "Item", m.Item); err != nil {
				return nil, err
			}
		}
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range ids {
			if !yield(k) {
				return
			}
		}
	})
	cb := &compiledBook{
		apps:  make(map[kaspersky.AppID]compiledApp, len(book.Items)),
		items: make([]compiledItem, len(keys)),
	}
	for slot, key := range keys {
		var names []string
		for _, s := range sources[key] {
			n := appName(s.app)
			if s.cat != 0 {
				n += ", " + s.cat.String()
			}
			names = append(names, n)
			ca, ok := cb.apps[s.app]
			if !ok {
				ca = compiledApp{byCategory: kaspersky.BilledByCategory(s.app, book.BillByCategory), total: -1, byCat: [3]int32{-1, -1, -1}}
			}
			if s.cat == 0 {
				ca.total = int32(slot)
			} else {
				ca.byCat[s.cat-1] = int32(slot)
			}
			cb.apps[s.app] = ca
		}
		cb.items[slot] = compiledItem{id: ids[key], description: Describe(names...)}
	}
	return cb, nil
}

// slotFor returns the item slot that bills the usage, or -1.
func (cb *compiledBook) slotFor(u Usage) int32 {
	ca, ok := cb.apps[u.App]
	if !ok {
		return -1
	}
	if ca.byCategory {
		if !u.Category.Valid() {
			return -1
		}
		return ca.byCat[u.Category-1]
	}
	return ca.total
}
