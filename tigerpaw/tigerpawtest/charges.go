package tigerpawtest

import (
	"encoding/json"
	"strings"
	"time"
)

func (s *Server) chargeOut(ch *Charge) map[string]any {
	source := "Manual"
	if ch.Source == 1 {
		source = "API"
	}
	return map[string]any{
		"DetailId": ch.DetailID, "SpecialItemId": ch.SpecialItemID, "ItemDescription": ch.ItemDescription,
		"Quantity": decimalOut(ch.Quantity), "Price": moneyOut(ch.Price), "PriceLevel": ch.PriceLevel,
		"PriceLevelDescription": s.st.priceLevels[ch.PriceLevel].Description,
		"Source":                ch.Source, "SourceDescription": source,
		"PrintWhenQuantityZero": ch.PrintWhenQuantityZero, "DeleteAfterInvoicing": ch.DeleteAfterInvoicing,
		"DateAdded": s.dateOut(ch.DateAdded), "UseFlatPrice": ch.UseFlatPrice,
	}
}

func (s *Server) listCharges(c *call) answer {
	if _, miss, found := s.agreement(c.ids[0]); !found {
		return miss
	}
	out := []any{}
	for _, ch := range s.st.chargesOf(c.ids[0]) {
		out = append(out, s.chargeOut(&ch))
	}
	return ok(out)
}

// charge finds a charge of an agreement.
func (s *Server) charge(agreement, detail int) (*Charge, answer, bool) {
	if _, miss, found := s.agreement(agreement); !found {
		return nil, miss, false
	}
	ch, found := s.st.charges[detail]
	if !found || ch.AgreementNumber != agreement {
		return nil, notFound("Additional charge %d was not found on agreement %d.", detail, agreement), false
	}
	return ch, answer{}, true
}

func (s *Server) getCharge(c *call) answer {
	ch, miss, found := s.charge(c.ids[0], c.ids[1])
	if !found {
		return miss
	}
	return ok(s.chargeOut(ch))
}

func (s *Server) itemByID(itemID string) *PriceBookItem {
	for _, it := range derefSorted(s.st.items) {
		if strings.EqualFold(it.ItemID, itemID) {
			return s.st.items[it.Number]
		}
	}
	return nil
}

// applyCharge sets the fields present in m on ch, checking each; it reports a
// refusal message, or "".
func (s *Server) applyCharge(ch *Charge, m map[string]json.RawMessage) string {
	var err error
	if raw, ok := m["specialitemid"]; ok {
		id, err := stringOf(raw)
		if err != nil || strings.TrimSpace(id) == "" {
			return "SpecialItemId is required."
		}
		it := s.itemByID(id)
		if it == nil {
			return "SpecialItemId '" + id + "' is not a price book item."
		}
		ch.SpecialItemID = it.ItemID
		if _, has := m["itemdescription"]; !has && ch.ItemDescription == "" {
			ch.ItemDescription = it.Description
		}
	}
	if raw, ok := m["itemdescription"]; ok {
		if ch.ItemDescription, err = stringOf(raw); err != nil {
			return "ItemDescription must be text."
		}
	}
	if raw, ok := m["quantity"]; ok {
		q, err := intOf(raw)
		if err != nil || q < 0 {
			return "Quantity must be a whole number of at least 0."
		}
		ch.Quantity = q
	}
	if raw, ok := m["pricelevel"]; ok {
		pl, err := intOf(raw)
		if err != nil {
			return "PriceLevel must be a whole number."
		}
		if _, known := s.st.priceLevels[pl]; pl != 0 && !known {
			return "PriceLevel does not exist."
		}
		ch.PriceLevel = pl
	}
	if raw, ok := m["price"]; ok {
		p, err := centsOf(raw)
		if err != nil {
			return "Price must be a decimal number."
		}
		ch.Price = p
	}
	for key, dst := range map[string]*bool{
		"printwhenquantityzero": &ch.PrintWhenQuantityZero, "deleteafterinvoicing": &ch.DeleteAfterInvoicing, "useflatprice": &ch.UseFlatPrice,
	} {
		if raw, ok := m[key]; ok {
			if *dst, err = boolOf(raw); err != nil {
				return "Field " + key + " must be true or false."
			}
		}
	}
	return ""
}

func (s *Server) createCharge(c *call) answer {
	a, miss, found := s.agreement(c.ids[0])
	if !found {
		return miss
	}
	if a.BillingPeriod <= 0 {
		return refuse("Agreement %d is not a recurring agreement; additional charges cannot be added.", a.Number)
	}
	m, err := object(c.body)
	if err != nil {
		return badRequest("The request is invalid: %v", err)
	}
	if _, ok := m["specialitemid"]; !ok {
		return refuse("SpecialItemId is required.")
	}
	if _, ok := m["quantity"]; !ok {
		return refuse("Quantity is required.")
	}
	ch := Charge{AgreementNumber: a.Number, Source: 1, DateAdded: s.now().Truncate(time.Second)}
	if msg := s.applyCharge(&ch, m); msg != "" {
		return refuse("%s", msg)
	}
	if _, ok := m["price"]; !ok {
		if it := s.itemByID(ch.SpecialItemID); it != nil {
			ch.Price = it.SellingPrices[ch.PriceLevel]
		}
	}
	ch.DetailID = s.st.id("charge", 0)
	s.st.charges[ch.DetailID] = &ch
	return success(map[string]any{"DetailId": ch.DetailID})
}

// updateCharge changes only the fields the body carries.
func (s *Server) updateCharge(c *call) answer {
	ch, miss, found := s.charge(c.ids[0], c.ids[1])
	if !found {
		return miss
	}
	if s.st.agreements[c.ids[0]].BillingPeriod <= 0 {
		return refuse("Agreement %d is not a recurring agreement; additional charges cannot be changed.", c.ids[0])
	}
	m, err := object(c.body)
	if err != nil {
		return badRequest("The request is invalid: %v", err)
	}
	updated := *ch
	if msg := s.applyCharge(&updated, m); msg != "" {
		return refuse("%s", msg)
	}
	*ch = updated
	return success(map[string]any{"DetailId": ch.DetailID})
}

func (s *Server) deleteCharge(c *call) answer {
	ch, miss, found := s.charge(c.ids[0], c.ids[1])
	if !found {
		return miss
	}
	delete(s.st.charges, ch.DetailID)
	return success(nil)
}
