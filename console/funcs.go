package console

import (
	"html/template"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// slotView is one price book slot as its template sees it.
type slotView struct {
	Slot    itemSlot
	App     string
	HasList bool
	Items   []mapping.PriceBookItem
}

// funcs are the template helpers.
var funcs = template.FuncMap{
	// errorFor returns the validation message of a field, or "".
	"errorFor": func(errs map[string]string, key string) string { return errs[key] },
	// ruleKey builds the key of a service order problem.
	"ruleKey": func(rule, field string) string { return rule + "|" + field },
	// when is a time as the console shows it, in UTC to the second.
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	// iso is a time as a <time datetime> attribute.
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// sameItem reports whether two price book item ids name the same item,
	// as Tigerpaw compares them.
	"sameItem": func(a, b string) bool { return b != "" && billing.ItemKey(a) == billing.ItemKey(b) },
	// slotArgs is what the "slot" template of the price book needs.
	"slotArgs": func(d priceBookData, s itemSlot, app string) slotView {
		return slotView{Slot: s, App: app, HasList: d.HasList, Items: d.Items}
	},
}
