package tigerpawtest

import (
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

func (s *Server) validateUser(*call) answer {
	return success(map[string]any{"Message": "The user is valid."})
}

func (s *Server) productInformation(*call) answer {
	return ok(map[string]any{"ProductName": "Tigerpaw (tigerpawtest fake)", "Version": "18.2.1"})
}

// searchRequest is the body of the POST searches.
type searchRequest struct {
	criteria    []criterion
	start, size int
}

type criterion struct {
	searchType, matchType, text string
}

func parseSearch(body []byte) (searchRequest, error) {
	var req searchRequest
	m, err := object(body)
	if err != nil {
		return req, err
	}
	if raw, ok := m["pagesize"]; ok {
		if req.size, err = intOf(raw); err != nil {
			return req, err
		}
	}
	if raw, ok := m["startrow"]; ok {
		if req.start, err = intOf(raw); err != nil {
			return req, err
		}
	}
	var list []map[string]json.RawMessage
	if raw, ok := m["criteria"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &list); err != nil {
			return req, err
		}
	}
	for _, c := range list {
		f := fields(c)
		var cr criterion
		for key, dst := range map[string]*string{"searchtype": &cr.searchType, "matchtype": &cr.matchType, "criteria": &cr.text} {
			if raw, ok := f[key]; ok {
				if *dst, err = stringOf(raw); err != nil {
					return req, err
				}
			}
		}
		req.criteria = append(req.criteria, cr)
	}
	return req, nil
}

// matches applies a match type, ignoring case.
func matches(matchType, value, text string) (bool, bool) {
	v, t := strings.ToLower(value), strings.ToLower(text)
	switch strings.ToLower(matchType) {
	case "", "startswith":
		return strings.HasPrefix(v, t), true
	case "endswith":
		return strings.HasSuffix(v, t), true
	case "contains":
		return strings.Contains(v, t), true
	}
	return false, false
}

// filter keeps the objects that satisfy the criteria: OR within a search type,
// AND across types. values returns the texts of an object for a search type, or
// false when the type is unknown.
func filter[T any](items []T, crit []criterion, values func(T, string) ([]string, bool)) ([]T, string) {
	byType := map[string][]criterion{}
	for _, c := range crit {
		byType[strings.ToLower(c.searchType)] = append(byType[strings.ToLower(c.searchType)], c)
	}
	var out []T
	for _, it := range items {
		keep := true
		for typ, cs := range byType {
			vals, known := values(it, typ)
			if !known {
				return nil, "Unknown SearchType '" + cs[0].searchType + "'."
			}
			hit := false
			for _, c := range cs {
				for _, v := range vals {
					m, ok := matches(c.matchType, v, c.text)
					if !ok {
						return nil, "Unknown MatchType '" + c.matchType + "'."
					}
					hit = hit || m
				}
			}
			if !hit {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, it)
		}
	}
	return out, ""
}

func (s *Server) searchAccounts(c *call) answer {
	req, err := parseSearch(c.body)
	if err != nil {
		return badRequest("The request is invalid: %v", err)
	}
	all := derefSorted(s.st.accounts)
	found, msg := filter(all, req.criteria, func(a Account, typ string) ([]string, bool) {
		switch typ {
		case "accountname":
			return []string{a.Name}, true
		case "accountnumber":
			return []string{strconv.Itoa(a.Number)}, true
		case "externalid", "exteralproduct", "externalproduct":
			var vals []string
			for _, x := range valuesSorted(s.st.xrefs) {
				if x.AccountNumber != a.Number {
					continue
				}
				if typ == "externalid" {
					vals = append(vals, x.ExternalID)
				} else {
					vals = append(vals, s.st.externalProducts[x.ExternalProductID].Product)
				}
			}
			return vals, true
		case "customfield":
			return slices.Collect(maps.Values(s.st.cfValues[a.Number])), true
		}
		return nil, false
	})
	if msg != "" {
		return refuse("%s", msg)
	}
	items, env := pageOf(found, req.start, req.size)
	out := make([]any, 0, len(items))
	for _, a := range items {
		out = append(out, s.accountSummary(&a))
	}
	env["Accounts"] = out
	return ok(env)
}

func (s *Server) account(n int) (*Account, answer, bool) {
	a, found := s.st.accounts[n]
	if !found {
		return nil, notFound("Account %d was not found.", n), false
	}
	return a, answer{}, true
}

func (s *Server) accountCore(a *Account) map[string]any {
	return map[string]any{
		"Name": a.Name, "AccountId": a.Number, "AccountType": a.Type, "Status": a.Status, "RepNumber": a.RepNumber,
	}
}

func (s *Server) accountSummary(a *Account) map[string]any {
	open := 0
	for _, so := range s.st.orders {
		if so.AccountNumber == a.Number && so.Closed.IsZero() {
			open++
		}
	}
	var parent any
	if a.ParentNumber > 0 {
		parent = a.ParentNumber
	}
	return map[string]any{
		"AccountNumber": a.Number, "Account": s.accountCore(a), "PhoneNumber": a.Phone,
		"RepName": s.st.reps[a.RepNumber].Name, "PrimaryContactName": "", "ParentAccountNumber": parent,
		"OpenServiceOrders": decimalOut(open),
	}
}

func (s *Server) accountingDetail(a *Account) map[string]any {
	var level any
	if pl, ok := s.st.priceLevels[a.DefaultPriceLevelID]; ok {
		level = pl.Description
	}
	return map[string]any{"DefaultPriceLevel": level, "DefaultPriceLevelId": a.DefaultPriceLevelID}
}

func (s *Server) getAccount(c *call) answer {
	a, miss, found := s.account(c.ids[0])
	if !found {
		return miss
	}
	return ok(s.accountSummary(a))
}

func (s *Server) accountDetails(c *call) answer {
	a, miss, found := s.account(c.ids[0])
	if !found {
		return miss
	}
	return ok(map[string]any{
		"AccountNumber": a.Number, "Account": s.accountCore(a), "Accounting": s.accountingDetail(a),
		"Service": map[string]any{}, "ExternalProducts": s.externalProductsOf(a.Number),
		"CustomFields": s.customFieldsOf(a.Number),
	})
}

func (s *Server) accountAccounting(c *call) answer {
	a, miss, found := s.account(c.ids[0])
	if !found {
		return miss
	}
	return ok(map[string]any{
		"AccountNumber": a.Number, "Detail": s.accountingDetail(a),
		"ShipTos": []any{}, "BillTos": []any{}, "PayMethods": []any{},
	})
}

func (s *Server) externalProductsOf(account int) []any {
	out := []any{}
	for _, x := range valuesSorted(s.st.xrefs) {
		if x.AccountNumber == account {
			out = append(out, map[string]any{
				"AccountExternalProductId": x.ID, "ExternalProductId": x.ExternalProductID,
				"ExternalProduct": s.st.externalProducts[x.ExternalProductID].Product,
				"ExternalId":      x.ExternalID, "ExternalSystemId": "", "Comment": x.Comment,
			})
		}
	}
	return out
}

func (s *Server) accountExternalProducts(c *call) answer {
	if _, miss, found := s.account(c.ids[0]); !found {
		return miss
	}
	return ok(s.externalProductsOf(c.ids[0]))
}

// customFieldsOf lists every account custom field with the account's value.
func (s *Server) customFieldsOf(account int) []any {
	out := []any{}
	for _, d := range valuesSorted(s.st.cfDefs) {
		out = append(out, map[string]any{
			"Category": d.Category, "CustomFieldId": d.ID, "Label": d.Label, "Description": d.Description,
			"Value": s.st.cfValues[account][d.ID],
		})
	}
	return out
}

func (s *Server) getCustomFields(c *call) answer {
	if _, miss, found := s.account(c.ids[0]); !found {
		return miss
	}
	return ok(s.customFieldsOf(c.ids[0]))
}

// putCustomFields sets the values given; a field is named by CustomFieldId, or
// by Category and Label.
func (s *Server) putCustomFields(c *call) answer {
	if _, miss, found := s.account(c.ids[0]); !found {
		return miss
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(c.body, &list); err != nil {
		return badRequest("The request is invalid: body is not a JSON array: %v", err)
	}
	type set struct {
		id    int
		value string
	}
	var sets []set
	for i, raw := range list {
		f := fields(raw)
		id := 0
		if r, ok := f["customfieldid"]; ok {
			n, err := intOf(r)
			if err != nil {
				return refuse("Custom field %d: CustomFieldId: %v", i, err)
			}
			id = n
		}
		if id == 0 {
			cat, _ := stringOf(f["category"])
			label, _ := stringOf(f["label"])
			for _, d := range s.st.cfDefs {
				if strings.EqualFold(d.Category, cat) && strings.EqualFold(d.Label, label) {
					id = d.ID
				}
			}
		}
		def, known := s.st.cfDefs[id]
		if !known {
			return refuse("Custom field %d: no custom field with CustomFieldId %d.", i, id)
		}
		value, err := stringOf(f["value"])
		if f["value"] == nil {
			value, err = "", nil
		}
		if err != nil {
			return refuse("Custom field %d: Value: %v", i, err)
		}
		if def.MaxLength > 0 && len([]rune(value)) > def.MaxLength {
			return refuse("Custom field %q: value longer than %d characters.", def.Label, def.MaxLength)
		}
		sets = append(sets, set{id, value})
	}
	for _, st := range sets {
		s.st.setValue(c.ids[0], st.id, st.value)
	}
	return success(nil)
}

// pagingQuery reads pageRequest.pageSize and pageRequest.startRow.
func pagingQuery(q url.Values) (start, size int) {
	for k, v := range q {
		if len(v) == 0 {
			continue
		}
		n, err := strconv.Atoi(v[0])
		if err != nil {
			continue
		}
		switch strings.ToLower(k) {
		case "pagerequest.pagesize":
			size = n
		case "pagerequest.startrow":
			start = n
		}
	}
	return start, size
}
