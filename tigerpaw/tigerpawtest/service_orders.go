package tigerpawtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

func (s *Server) orderOut(so *ServiceOrder) map[string]any {
	var lock any
	if so.Lock != nil {
		lock = map[string]any{"LockingRepNumber": so.Lock.RepNumber, "LockingRepName": so.Lock.RepName}
	}
	name := ""
	if a, ok := s.st.accounts[so.AccountNumber]; ok {
		name = a.Name
	}
	return map[string]any{
		"ServiceOrderNumber": so.Number,
		"ServiceOrder": map[string]any{
			"AccountNumber": so.AccountNumber, "Status": so.Status, "Priority": so.Priority,
			"ServiceOrderType": so.Type, "DispatchBoardNumber": so.BoardID,
			"TechnicianAssigned": so.TechnicianAssigned, "TakenBy": so.TakenBy,
			"BriefDescription": so.BriefDescription, "WorkRequested": so.WorkRequested,
			"WorkPerformed": so.WorkPerformed, "Reference": so.Reference,
			"DateTimeOpened": s.dateOut(so.Opened), "DateTimeClosed": s.dateOut(so.Closed),
		},
		"AccountName":           name,
		"PrimaryTechnicianName": s.st.reps[so.TechnicianAssigned].Name,
		"OpenTasks":             so.OpenTasks,
		"ServiceOrderLock":      lock,
	}
}

func (s *Server) orderAnswer(so *ServiceOrder) answer {
	return success(map[string]any{"ServiceOrderSummary": s.orderOut(so)})
}

func (s *Server) statusNamed(name string) (Status, bool) {
	i := slices.IndexFunc(s.st.statuses, func(st Status) bool { return strings.EqualFold(st.Name, name) })
	if i < 0 {
		return Status{}, false
	}
	return s.st.statuses[i], true
}

// applyOrder sets the fields present in m on so, checking each; it reports a
// refusal message, or "".
func (s *Server) applyOrder(so *ServiceOrder, m map[string]json.RawMessage) string {
	text := func(key string, dst *string) string {
		if raw, ok := m[key]; ok {
			v, err := stringOf(raw)
			if err != nil {
				return key + " must be text."
			}
			*dst = v
		}
		return ""
	}
	for key, dst := range map[string]*string{
		"briefdescription": &so.BriefDescription, "workrequested": &so.WorkRequested,
		"workperformed": &so.WorkPerformed, "reference": &so.Reference,
	} {
		if msg := text(key, dst); msg != "" {
			return msg
		}
	}
	if utf8.RuneCountInString(so.Reference) > MaxReferenceLength {
		return "Reference is longer than 50 characters."
	}
	if raw, ok := m["status"]; ok {
		name, _ := stringOf(raw)
		st, known := s.statusNamed(name)
		if !known {
			return "Status '" + name + "' does not exist."
		}
		so.Status = st.Name
		if st.Closed && so.Closed.IsZero() {
			so.Closed = s.now().Truncate(time.Second)
		}
		if !st.Closed {
			so.Closed = time.Time{}
		}
	}
	if raw, ok := m["priority"]; ok {
		name, _ := stringOf(raw)
		i := slices.IndexFunc(s.st.priorities, func(p Priority) bool { return strings.EqualFold(p.Name, name) })
		if i < 0 {
			return "Priority '" + name + "' does not exist."
		}
		so.Priority = s.st.priorities[i].Name
	}
	if raw, ok := m["serviceordertype"]; ok {
		name, _ := stringOf(raw)
		i := slices.IndexFunc(s.st.soTypes, func(t ServiceOrderType) bool { return strings.EqualFold(t.Name, name) })
		if name != "" && i < 0 {
			return "ServiceOrderType '" + name + "' does not exist."
		}
		if i >= 0 {
			so.Type = s.st.soTypes[i].Name
		}
	}
	if raw, ok := m["dispatchboardnumber"]; ok {
		n, err := intOf(raw)
		if _, known := s.st.boards[n]; err != nil || n != 0 && !known {
			return "DispatchBoardNumber does not name a dispatch board."
		}
		so.BoardID = n
	}
	for key, dst := range map[string]*int{"technicianassigned": &so.TechnicianAssigned, "takenby": &so.TakenBy} {
		if raw, ok := m[key]; ok {
			n, err := intOf(raw)
			if _, known := s.st.reps[n]; err != nil || n != 0 && !known {
				return key + " does not name a rep."
			}
			*dst = n
		}
	}
	if raw, ok := m["completeopentasks"]; ok {
		done, err := boolOf(raw)
		if err != nil {
			return "CompleteOpenTasks must be true or false."
		}
		if done {
			so.OpenTasks = 0
		}
	}
	if raw, ok := m["datetimeclosed"]; ok {
		t, err := s.dateIn(raw)
		if err != nil {
			return "DateTimeClosed: " + err.Error()
		}
		so.Closed = t
	}
	return ""
}

func (s *Server) createServiceOrder(c *call) answer {
	m, err := object(c.body)
	if err != nil {
		return badRequest("The request is invalid: %v", err)
	}
	n, err := intOf(m["accountnumber"])
	if m["accountnumber"] == nil || err != nil {
		return refuse("AccountNumber is required.")
	}
	if _, known := s.st.accounts[n]; !known {
		return refuse("Account %d does not exist.", n)
	}
	for _, key := range []string{"status", "priority", "briefdescription"} {
		if v, _ := stringOf(m[key]); m[key] == nil || strings.TrimSpace(v) == "" {
			return refuse("Field %s is required.", key)
		}
	}
	so := ServiceOrder{AccountNumber: n, Opened: s.now().Truncate(time.Second)}
	if msg := s.applyOrder(&so, m); msg != "" {
		return refuse("%s", msg)
	}
	if raw, ok := m["datetimeopened"]; ok {
		t, err := s.dateIn(raw)
		if err != nil {
			return refuse("DateTimeOpened: %v", err)
		}
		if !t.IsZero() {
			so.Opened = t
		}
	}
	so.Number = s.st.id("serviceOrder", 0)
	s.st.orders[so.Number] = &so
	return s.orderAnswer(&so)
}

func (s *Server) order(n int) (*ServiceOrder, answer, bool) {
	so, found := s.st.orders[n]
	if !found {
		return nil, notFound("Service order %d was not found.", n), false
	}
	return so, answer{}, true
}

func (s *Server) getServiceOrder(c *call) answer {
	so, miss, found := s.order(c.ids[0])
	if !found {
		return miss
	}
	return ok(s.orderOut(so))
}

// updateServiceOrder changes the fields the body carries, unless the order is
// locked in the UI.
func (s *Server) updateServiceOrder(c *call) answer {
	so, miss, found := s.order(c.ids[0])
	if !found {
		return miss
	}
	if so.Lock != nil {
		msg := map[string]any{"Success": false, "Message": "Service order " + itoa(so.Number) +
			" is locked by " + so.Lock.RepName + " and cannot be updated."}
		return answer{status: s.lockStatus, body: msg}
	}
	m, err := object(c.body)
	if err != nil {
		return badRequest("The request is invalid: %v", err)
	}
	updated := *so
	if msg := s.applyOrder(&updated, m); msg != "" {
		return refuse("%s", msg)
	}
	*so = updated
	return s.orderAnswer(so)
}

// searchServiceOrdersByReference matches the reference as a prefix, ignoring
// case, like the real search may.
func (s *Server) searchServiceOrdersByReference(c *call) answer {
	var ref string
	if err := json.Unmarshal(c.body, &ref); err != nil {
		return answer{status: http.StatusBadRequest, body: map[string]any{"Message": "The request is invalid: body must be a JSON string."}}
	}
	var found []*ServiceOrder
	for _, so := range derefSorted(s.st.orders) {
		if ref != "" && strings.HasPrefix(strings.ToLower(so.Reference), strings.ToLower(ref)) {
			found = append(found, s.st.orders[so.Number])
		}
	}
	start, size := pagingQuery(c.r.URL.Query())
	items, env := pageOf(found, start, size)
	out := make([]any, 0, len(items))
	for _, so := range items {
		out = append(out, s.orderOut(so))
	}
	env["ServiceOrders"] = out
	return ok(env)
}

func (s *Server) noteOut(n *ServiceOrderNote) map[string]any {
	return map[string]any{
		"ServiceOrderNoteNumber": n.Number, "Topic": n.Topic, "Note": n.Note,
		"DateCreated": s.dateOut(n.Created), "StartTime": s.dateOut(n.Created), "LastModified": s.dateOut(n.Created),
		"EmailTo": "", "EmailCarbonCopy": "", "RepNumber": n.RepNumber, "RepName": s.st.reps[n.RepNumber].Name,
	}
}

// listServiceOrderNotes answers the notes of an order, oldest first.
func (s *Server) listServiceOrderNotes(c *call) answer {
	so, miss, found := s.order(c.ids[0])
	if !found {
		return miss
	}
	out := make([]any, 0, len(so.Notes))
	for i := range so.Notes {
		out = append(out, s.noteOut(&so.Notes[i]))
	}
	return ok(out)
}

// addServiceOrderNote adds a note (not idempotent, like the real API). Notes
// are accepted on a locked order: the lock guards the order's own fields.
func (s *Server) addServiceOrderNote(c *call) answer {
	so, miss, found := s.order(c.ids[0])
	if !found {
		return miss
	}
	m, err := object(c.body)
	if err != nil {
		return badRequest("The request is invalid: %v", err)
	}
	var n ServiceOrderNote
	if raw, ok := m["note"]; ok {
		if n.Note, err = stringOf(raw); err != nil {
			return refuse("Note must be text.")
		}
	}
	if strings.TrimSpace(n.Note) == "" {
		return refuse("Field Note is required.")
	}
	if raw, ok := m["topic"]; ok {
		if n.Topic, err = stringOf(raw); err != nil {
			return refuse("Topic must be text.")
		}
	}
	if raw, ok := m["repnumber"]; ok {
		rep, err := intOf(raw)
		if _, known := s.st.reps[rep]; err != nil || rep != 0 && !known {
			return refuse("RepNumber does not name a rep.")
		}
		n.RepNumber = rep
	}
	n.Number = s.st.id("serviceOrderNote", 0)
	n.Created = s.now().Truncate(time.Second)
	so.Notes = append(so.Notes, n)
	return success(map[string]any{"Note": s.noteOut(&so.Notes[len(so.Notes)-1])})
}
