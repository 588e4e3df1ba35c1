package tigerpawtest

import (
	"strconv"
	"strings"
)

// route is one endpoint of the fake.
type route struct {
	method   string
	template string // lower case, parameters as {}
	handle   func(*Server, *call) answer
}

// routes lists the endpoints; literal segments are listed before parameters at
// the same position.
var routes = []route{
	{"GET", "/api/diagnostics/validate/user", (*Server).validateUser},
	{"GET", "/api/diagnostics/productinformation", (*Server).productInformation},

	{"POST", "/api/accounts/search", (*Server).searchAccounts},
	{"GET", "/api/accounts/{}", (*Server).getAccount},
	{"GET", "/api/accounts/{}/details", (*Server).accountDetails},
	{"GET", "/api/accounts/{}/accounting", (*Server).accountAccounting},
	{"GET", "/api/accounts/{}/customfields", (*Server).getCustomFields},
	{"PUT", "/api/accounts/{}/customfields", (*Server).putCustomFields},
	{"GET", "/api/accounts/{}/service/externalproducts", (*Server).accountExternalProducts},

	{"GET", "/api/mastertables/externalproducts", (*Server).listExternalProducts},
	{"GET", "/api/mastertables/accounts/types", (*Server).listAccountTypes},
	{"GET", "/api/mastertables/pricelevels", (*Server).listPriceLevels},
	{"GET", "/api/mastertables/reps", (*Server).listReps},
	{"GET", "/api/mastertables/serviceorders/statuses", (*Server).listStatuses},
	{"GET", "/api/mastertables/dispatchboards", (*Server).listBoards},
	{"GET", "/api/mastertables/priorities", (*Server).listPriorities},
	{"GET", "/api/mastertables/serviceorders/types", (*Server).listServiceOrderTypes},
	{"GET", "/api/mastertables/customfields/accounts", (*Server).listCustomFieldDefinitions},
	{"POST", "/api/mastertables/customfields/categories/accounts", (*Server).createCustomFieldCategory},
	{"POST", "/api/mastertables/customfields/definitions/text", (*Server).createTextCustomField},

	{"GET", "/api/agreements/account/{}", (*Server).agreementsOfAccount},
	{"GET", "/api/agreements/{}", (*Server).getAgreement},
	{"GET", "/api/agreements/{}/additionalcharges", (*Server).listCharges},
	{"POST", "/api/agreements/{}/additionalcharges", (*Server).createCharge},
	{"GET", "/api/agreements/{}/additionalcharges/{}", (*Server).getCharge},
	{"PUT", "/api/agreements/{}/additionalcharges/{}", (*Server).updateCharge},
	{"DELETE", "/api/agreements/{}/additionalcharges/{}", (*Server).deleteCharge},

	{"POST", "/api/pricebook/items/search", (*Server).searchPriceBook},
	{"GET", "/api/pricebook/items/{}/details", (*Server).priceBookDetails},

	{"POST", "/api/serviceorders", (*Server).createServiceOrder},
	{"POST", "/api/serviceorders/search/reference", (*Server).searchServiceOrdersByReference},
	{"GET", "/api/serviceorders/{}", (*Server).getServiceOrder},
	{"PUT", "/api/serviceorders/{}", (*Server).updateServiceOrder},
	{"GET", "/api/serviceorders/{}/notes", (*Server).listServiceOrderNotes},
	{"POST", "/api/serviceorders/{}/notes", (*Server).addServiceOrderNote},
}

// match finds the route of a request. It returns the route and its integer
// parameters, or nil and whether the path exists for another method.
func match(method, path string) (*route, []int, bool) {
	segs := split(strings.ToLower(path))
	pathExists := false
	for i := range routes {
		rt := &routes[i]
		ids, ok := matchSegments(split(rt.template), segs)
		if !ok {
			continue
		}
		if !strings.EqualFold(rt.method, method) {
			pathExists = true
			continue
		}
		return rt, ids, true
	}
	return nil, nil, pathExists
}

func split(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}

func matchSegments(tpl, segs []string) ([]int, bool) {
	if len(tpl) != len(segs) {
		return nil, false
	}
	var ids []int
	for i, t := range tpl {
		if t == "{}" {
			n, err := strconv.Atoi(segs[i])
			if err != nil || n <= 0 {
				return nil, false
			}
			ids = append(ids, n)
			continue
		}
		if t != segs[i] {
			return nil, false
		}
	}
	return ids, true
}
