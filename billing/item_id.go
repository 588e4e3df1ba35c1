package billing

import (
	"strings"
	"unicode"
)

// Price book item ids (Tigerpaw's ItemId) are compared the way Tigerpaw
// compares them: without the white space around them and regardless of letter
// case. These functions are the one place that says so; mapping, billing, the
// root package and the console call them.

// TrimItemID returns the item id as it is written and sent to Tigerpaw: without
// surrounding white space.
func TrimItemID(id string) string {
	return strings.TrimSpace(id)
}

// SameItem reports whether two item ids name the same price book item: equal
// once trimmed, regardless of letter case (Unicode simple folding, as
// strings.EqualFold). It is ItemKey(a) == ItemKey(b), without allocating.
func SameItem(a, b string) bool {
	return a == b || strings.EqualFold(TrimItemID(a), TrimItemID(b))
}

// ItemKey returns the canonical form of an item id, for use as a map key: two
// ids have the same key exactly when [SameItem] says they name the same item.
func ItemKey(id string) string {
	return strings.Map(foldRune, TrimItemID(id))
}

// foldRune maps a rune to the smallest rune of its simple case-folding orbit
// (K, k and the Kelvin sign all map to K), so that runes strings.EqualFold
// equates map to one.
func foldRune(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}
