package tigerpawtest

import (
	"maps"
	"slices"
)

func itemCore(it *PriceBookItem) map[string]any {
	return map[string]any{
		"ItemDescription": it.Description, "Type": it.Type, "Status": it.Status,
		"ItemCategory": it.Category, "Inactive": it.Inactive,
	}
}

func (s *Server) searchPriceBook(c *call) answer {
	req, err := parseSearch(c.body)
	if err != nil {
		return badRequest("The request is invalid: %v", err)
	}
	found, msg := filter(derefSorted(s.st.items), req.criteria, func(it PriceBookItem, typ string) ([]string, bool) {
		switch typ {
		case "itemid":
			return []string{it.ItemID}, true
		case "itemdescription":
			return []string{it.Description}, true
		}
		return nil, false
	})
	if msg != "" {
		return refuse("%s", msg)
	}
	items, env := pageOf(found, req.start, req.size)
	out := make([]any, 0, len(items))
	for _, it := range items {
		out = append(out, map[string]any{"ItemId": it.ItemID, "PriceBookItemNumber": it.Number, "Item": itemCore(&it)})
	}
	env["PriceBookItems"] = out
	return ok(env)
}

func (s *Server) priceBookDetails(c *call) answer {
	it, found := s.st.items[c.ids[0]]
	if !found {
		return notFound("Price book item %d was not found.", c.ids[0])
	}
	pricing := []any{}
	for _, level := range slices.Sorted(maps.Keys(it.SellingPrices)) {
		pricing = append(pricing, map[string]any{
			"PriceLevel": level, "Description": s.st.priceLevels[level].Description,
			"SellingPrice": moneyOut(it.SellingPrices[level]), "FlatPrice": moneyOut(0),
		})
	}
	return ok(map[string]any{"ItemId": it.ItemID, "PriceBookItemNumber": it.Number, "Item": itemCore(it), "Pricing": pricing})
}
