package mapping

import (
	"strings"
	"unicode"
)

// SearchTenants returns the tenants whose names contain query, in their order,
// as the product's search box does. The comparison ignores case by Unicode
// simple case folding, so "müller" finds "MÜLLER GmbH", "öztürk" finds
// "ÖZTÜRK", "ромашка" finds "ООО «Ромашка»" and "σ" finds "Σ" and final "ς".
// It does not normalise composed and decomposed forms. An empty query returns
// every tenant.
func SearchTenants(tenants []Tenant, query string) []Tenant {
	q := fold(query)
	var out []Tenant
	for _, t := range tenants {
		if strings.Contains(fold(t.Name), q) {
			out = append(out, t.clone())
		}
	}
	return out
}

// fold maps every rune of s to the smallest rune of its case folding orbit, so
// that two strings that are equal under Unicode simple case folding fold to the
// same string.
func fold(s string) string {
	return strings.Map(foldRune, s)
}

func foldRune(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}
