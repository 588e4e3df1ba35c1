package tigerpawtest

import (
	"slices"
	"strings"
)

func (s *Server) listExternalProducts(*call) answer {
	out := []any{}
	for _, p := range valuesSorted(s.st.externalProducts) {
		var productType any = p.ProductType
		if p.ProductTypeName != "" {
			productType = p.ProductTypeName
		}
		out = append(out, map[string]any{"ExternalProductId": p.ID, "Product": p.Product, "ProductType": productType,
			"SystemEntry": p.SystemEntry, "Active": p.Active})
	}
	return ok(out)
}

func (s *Server) listAccountTypes(*call) answer {
	out := []any{}
	for _, t := range valuesSorted(s.st.accountTypes) {
		out = append(out, map[string]any{"Id": t.ID, "Value": t.Value, "IsSystemEntry": t.IsSystemEntry, "IsSystemDefault": t.IsSystemDefault})
	}
	return ok(out)
}

func (s *Server) listPriceLevels(*call) answer {
	out := []any{}
	for _, p := range valuesSorted(s.st.priceLevels) {
		out = append(out, map[string]any{"PriceLevelId": p.ID, "Description": p.Description})
	}
	return ok(out)
}

func (s *Server) listReps(*call) answer {
	out := []any{}
	for _, r := range valuesSorted(s.st.reps) {
		out = append(out, map[string]any{"RepNumber": r.Number, "DisplayName": r.Name, "Inactive": r.Inactive})
	}
	return ok(out)
}

func (s *Server) listStatuses(*call) answer {
	out := []any{}
	for _, st := range s.st.statuses {
		out = append(out, map[string]any{"Status": st.Name, "SystemEntry": st.SystemEntry, "Rank": decimalOut(st.Rank)})
	}
	return ok(out)
}

func (s *Server) listBoards(*call) answer {
	out := []any{}
	for _, b := range valuesSorted(s.st.boards) {
		out = append(out, map[string]any{"DispatchBoardId": b.ID, "Description": b.Description})
	}
	return ok(out)
}

func (s *Server) listPriorities(*call) answer {
	out := []any{}
	for _, p := range s.st.priorities {
		out = append(out, map[string]any{"Priority": p.Name, "Rank": p.Rank})
	}
	return ok(out)
}

func (s *Server) listServiceOrderTypes(*call) answer {
	out := []any{}
	for _, t := range s.st.soTypes {
		out = append(out, map[string]any{"Type": t.Name, "Priority": t.Priority})
	}
	return ok(out)
}

func fieldOut(d CustomFieldDefinition) map[string]any {
	return map[string]any{
		"CustomFieldDefinitionId": d.ID, "CustomFieldLabel": d.Label, "Description": d.Description,
		"OrdinalPosition": 0, "MaxLength": d.MaxLength, "MinValue": 0, "MaxValue": 0, "Constraints": []string{},
	}
}

func categoryOut(name string, fields []any) map[string]any {
	if fields == nil {
		fields = []any{}
	}
	return map[string]any{"CategoryName": name, "AvailableInGui": true, "SystemEntry": false, "Fields": fields}
}

// listCustomFieldDefinitions lists the categories with their fields, as 18.2.1
// does, empty categories included.
func (s *Server) listCustomFieldDefinitions(*call) answer {
	out := []any{}
	for _, cat := range s.st.cfCategories {
		var fields []any
		for _, d := range valuesSorted(s.st.cfDefs) {
			if strings.EqualFold(d.Category, cat) {
				fields = append(fields, fieldOut(d))
			}
		}
		out = append(out, categoryOut(cat, fields))
	}
	return ok(out)
}

// createCustomFieldCategory creates a category; an existing name is refused
// (assumed).
func (s *Server) createCustomFieldCategory(c *call) answer {
	m, err := object(c.body)
	if err != nil {
		return badRequest("The request is invalid: %v", err)
	}
	name, err := stringOf(m["categoryname"])
	if m["categoryname"] == nil || err != nil || strings.TrimSpace(name) == "" {
		return refuse("CategoryName is required.")
	}
	if !s.st.addCategory(name) {
		return refuse("The custom field category '%s' already exists.", name)
	}
	return success(map[string]any{"Category": categoryOut(name, nil)})
}

func (s *Server) createTextCustomField(c *call) answer {
	m, err := object(c.body)
	if err != nil {
		return badRequest("The request is invalid: %v", err)
	}
	var d CustomFieldDefinition
	d.Category, _ = stringOf(m["categoryname"])
	d.Label, _ = stringOf(m["customfieldlabel"])
	d.Description, _ = stringOf(m["description"])
	if raw, ok := m["maxlength"]; ok {
		if d.MaxLength, err = intOf(raw); err != nil || d.MaxLength < 0 {
			return refuse("MaxLength must be a whole number of at least 0.")
		}
	}
	switch {
	case m["categoryname"] == nil || strings.TrimSpace(d.Category) == "":
		return refuse("CategoryName is required.")
	case m["customfieldlabel"] == nil || strings.TrimSpace(d.Label) == "":
		return refuse("CustomFieldLabel is required.")
	}
	i := slices.IndexFunc(s.st.cfCategories, func(c string) bool { return strings.EqualFold(c, d.Category) })
	if i < 0 {
		return refuse("The custom field category '%s' does not exist.", d.Category)
	}
	d.Category = s.st.cfCategories[i]
	for _, x := range s.st.cfDefs {
		if strings.EqualFold(x.Category, d.Category) && strings.EqualFold(x.Label, d.Label) {
			return refuse("A custom field '%s' already exists in category '%s'.", d.Label, d.Category)
		}
	}
	d.FieldType = "Text"
	d.ID = s.st.id("customField", 0)
	s.st.cfDefs[d.ID] = d
	return success(map[string]any{"Field": fieldOut(d)})
}
