package console

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// namer rewrites the messages of package mapping, which name tenants and
// accounts by their ids, with the names the MSP knows them by.
type namer struct {
	solution mapping.Solution
	tenants  map[string]string // tenant id → name
	accounts map[int]string    // Tigerpaw account number → name
	product  int               // the integration's External Product
}

// names is the namer of cfg; the account names are Tigerpaw's, when it
// answers (a message keeps the number alone otherwise).
func (h *handler) names(ctx context.Context, cfg mapping.Config) namer {
	n := namer{solution: cfg.Solution, tenants: map[string]string{}, accounts: map[int]string{}, product: cfg.ExternalProductID}
	if n.solution == "" {
		n.solution = h.opt.Solution
	}
	for _, t := range cfg.Tenants {
		n.tenants[t.ID] = t.Name
	}
	if accts, err := h.opt.Directory.Accounts(ctx); err == nil {
		for _, a := range accts {
			n.accounts[a.Number] = a.Name
		}
	}
	return n
}

var (
	// tenantRE is a tenant as mapping names it: tenant "vs-1", possibly
	// followed by its name in parentheses.
	tenantRE = regexp.MustCompile(`tenant "([^"]*)"( \([^)]*\))?`)
	// accountRE is an account as mapping names it: account 101.
	accountRE = regexp.MustCompile(`\baccount (\d+)`)
	// productRE is the external product as mapping names it.
	productRE = regexp.MustCompile(`\bexternal product (\d+)`)
)

// tenant is a tenant's name in words: "virtual server “Contoso”".
func (n namer) tenant(id string) string {
	name := n.tenants[id]
	if name == "" {
		name = id
	}
	return singular(n.solution) + " \u201c" + name + "\u201d"
}

// text rewrites the ids of a message into names.
func (n namer) text(s string) string {
	s = tenantRE.ReplaceAllStringFunc(s, func(m string) string {
		return n.tenant(tenantRE.FindStringSubmatch(m)[1])
	})
	s = accountRE.ReplaceAllStringFunc(s, func(m string) string {
		num, _ := strconv.Atoi(accountRE.FindStringSubmatch(m)[1])
		if name, ok := n.accounts[num]; ok && name != "" {
			return fmt.Sprintf("account %s (%d)", name, num)
		}
		return m
	})
	s = productRE.ReplaceAllString(s, "the integration's External Product (id $1)")
	return s
}

// problem is a validation problem in the MSP's words.
func (n namer) problem(p mapping.Problem) string { return n.text(p.Reason) }
