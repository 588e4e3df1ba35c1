package tigerpawtest

import (
	"slices"
	"strings"
)

func (s *Server) listExternalProducts(*call) answer {
	out := []any{}
	for _, p := range valuesSorted(s.st.externalProducts) {
		out = append(out, map[string]any{"ExternalProductId": p.ID, "Product": p.Product, "ProductType": p.ProductType, "Active": p.Active})
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

func (s *Server) listCustomFieldDefinitions(*call) answer {
	out := []any{}
	for _, d := range valuesSorted(s.st.cfDefs) {
		out = append(out, map[string]any{
			"CustomFieldId": d.ID, "Category": d.Category, "Label": d.Label,
			"Description": d.Description, "FieldType": d.FieldType,
		})
	}
	return ok(out)
}

// createCustomFieldCategory creates a category; creating an existing one
// succeeds without a change (assumed).
func (s *Server) createCustomFieldCategory(c *call) answer {
	m, err := object(c.body)
	if err != nil {
		return badRequest("The request is invalid: %v", err)
	}
	name, err := stringOf(m["category"])
	if m["category"] == nil || err != nil || strings.TrimSpace(name) == "" {
		return refuse("Category is required.")
	}
	s.st.addCategory(name)
	return success(nil)
}

func (s *Server) createTextCustomField(c *call) answer {
	m, err := object(c.body)
	if err != nil {
		return badRequest("The request is invalid: %v", err)
	}
	var d CustomFieldDefinition
	d.Category, _ = stringOf(m["category"])
	d.Label, _ = stringOf(m["label"])
	d.Description, _ = stringOf(m["description"])
	if raw, ok := m["maxlength"]; ok {
		if d.MaxLength, err = intOf(raw); err != nil || d.MaxLength < 0 {
			return refuse("MaxLength must be a whole number of at least 0.")
		}
	}
	switch {
	case m["category"] == nil || strings.TrimSpace(d.Category) == "":
		return refuse("Category is required.")
	case m["label"] == nil || strings.TrimSpace(d.Label) == "":
		return refuse("Label is required.")
	}
	if !slices.ContainsFunc(s.st.cfCategories, func(c string) bool { return strings.EqualFold(c, d.Category) }) {
		return refuse("Category '%s' does not exist.", d.Category)
	}
	for _, x := range s.st.cfDefs {
		if strings.EqualFold(x.Category, d.Category) && strings.EqualFold(x.Label, d.Label) {
			return refuse("A custom field '%s' already exists in category '%s'.", d.Label, d.Category)
		}
	}
	d.FieldType = "Text"
	d.ID = s.st.id("customField", 0)
	s.st.cfDefs[d.ID] = d
	return success(map[string]any{"CustomFieldId": d.ID})
}
