package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// soSection is one entry of the Service orders tab's left pane.
type soSection struct {
	Key     string
	Group   string
	Label   string
	Section serviceorder.Section
}

var soSections = []soSection{
	{"general", "", "General", serviceorder.SectionGeneral},
	{"ksc", "Kaspersky Security Center", "Events", serviceorder.SectionKSCEvents},
	{"kescloud", "Kaspersky Endpoint Security Cloud", "Events", serviceorder.SectionKESCloudEvents},
	{"o365", "Kaspersky Security for Microsoft Office 365", "Events", serviceorder.SectionOffice365Events},
	{"warning", "Computer statuses", "Warning status", serviceorder.SectionWarningStatuses},
	{"critical", "Computer statuses", "Critical status", serviceorder.SectionCriticalStatuses},
}

func sectionByKey(key string) (soSection, bool) {
	if key == "" {
		key = "general"
	}
	for _, s := range soSections {
		if s.Key == key {
			return s, true
		}
	}
	return soSection{}, false
}

// ruleRow is one event severity, Office 365 event type or status description.
type ruleRow struct {
	Index       int
	Key         string // the rule's name, checked on post
	Name        string
	Selected    bool
	Enabled     bool
	HasLifetime bool
	Lifetime    int
	Boards      []option
	Priorities  []option
	Types       []option
}

type generalData struct {
	Reps, NewStatuses, ClosedStatuses []option
}

type serviceOrdersData struct {
	Revision int64
	Sections []soSection
	Current  soSection
	General  *generalData
	Rows     []ruleRow
	// Bulk edit choices (with "unchanged" first).
	HasLifetime                           bool
	BulkBoards, BulkPriorities, BulkTypes []option
}

type lookupLists struct {
	reps       []serviceorder.Rep
	statuses   []string
	boards     []serviceorder.Board
	priorities []string
	types      []string
}

func (h *handler) readLookups(ctx context.Context) (*lookupLists, error) {
	l := h.opt.Lookups
	var out lookupLists
	var err error
	if out.reps, err = l.Reps(ctx); err != nil {
		return nil, fmt.Errorf("reading the Tigerpaw reps: %w", err)
	}
	if out.statuses, err = l.Statuses(ctx); err != nil {
		return nil, fmt.Errorf("reading the Tigerpaw statuses: %w", err)
	}
	if out.boards, err = l.Boards(ctx); err != nil {
		return nil, fmt.Errorf("reading the Tigerpaw boards: %w", err)
	}
	if out.priorities, err = l.Priorities(ctx); err != nil {
		return nil, fmt.Errorf("reading the Tigerpaw priorities: %w", err)
	}
	if out.types, err = l.Types(ctx); err != nil {
		return nil, fmt.Errorf("reading the Tigerpaw service order types: %w", err)
	}
	return &out, nil
}

// nameOptions builds a drop-down of names with a first empty entry; a current
// value Tigerpaw does not list is kept, marked.
func nameOptions(names []string, cur, empty string) []option {
	out := []option{{Value: "", Label: empty, Selected: cur == ""}}
	found := cur == ""
	for _, n := range names {
		sel := strings.EqualFold(n, cur)
		found = found || sel
		out = append(out, option{Value: n, Label: n, Selected: sel})
	}
	if !found {
		out = append(out, option{Value: cur, Label: cur + " (not in Tigerpaw)", Selected: true})
	}
	return out
}

func boardOptions(boards []serviceorder.Board, cur int, empty string) []option {
	out := []option{{Value: "", Label: empty, Selected: cur == 0}}
	found := cur == 0
	for _, b := range boards {
		sel := b.ID == cur
		found = found || sel
		out = append(out, option{Value: strconv.Itoa(b.ID), Label: b.Name, Selected: sel})
	}
	if !found {
		out = append(out, option{Value: strconv.Itoa(cur), Label: fmt.Sprintf("board %d (not in Tigerpaw)", cur), Selected: true})
	}
	return out
}

// sectionRules returns the indexes into r.Events or r.Statuses of the rules of
// section s, and whether they are event rules.
func sectionRules(r *serviceorder.Rules, s serviceorder.Section) (idx []int, events bool) {
	switch s {
	case serviceorder.SectionKSCEvents, serviceorder.SectionKESCloudEvents, serviceorder.SectionOffice365Events:
		origin := map[serviceorder.Section]kaspersky.Origin{serviceorder.SectionKSCEvents: kaspersky.OriginKSC,
			serviceorder.SectionKESCloudEvents: kaspersky.OriginKESCloud, serviceorder.SectionOffice365Events: kaspersky.OriginOffice365}[s]
		for i, e := range r.Events {
			if e.ID.Origin == origin {
				idx = append(idx, i)
			}
		}
		return idx, true
	case serviceorder.SectionWarningStatuses, serviceorder.SectionCriticalStatuses:
		level := kaspersky.StatusWarning
		if s == serviceorder.SectionCriticalStatuses {
			level = kaspersky.StatusCritical
		}
		for i, st := range r.Statuses {
			if st.ID.Level == level {
				idx = append(idx, i)
			}
		}
	}
	return idx, false
}

func (h *handler) serviceOrders(w http.ResponseWriter, r *http.Request) {
	sec, ok := sectionByKey(r.URL.Query().Get("section"))
	if !ok {
		http.Error(w, "unknown section "+strconv.Quote(r.URL.Query().Get("section")), http.StatusNotFound)
		return
	}
	rules, rev, err := h.opt.Rules.LoadRules(r.Context())
	if err != nil {
		h.fail(w, "serviceorders", err)
		return
	}
	h.renderServiceOrders(w, r, http.StatusOK, sec, rules, rev, nil, &page{})
}

func (h *handler) renderServiceOrders(w http.ResponseWriter, r *http.Request, status int, sec soSection, rules serviceorder.Rules, rev int64, selected map[int]bool, p *page) {
	lk, err := h.readLookups(r.Context())
	if err != nil {
		h.fail(w, "serviceorders", err)
		return
	}
	d := serviceOrdersData{Revision: rev, Sections: soSections, Current: sec}
	if sec.Section == serviceorder.SectionGeneral {
		g := rules.General
		gd := &generalData{NewStatuses: nameOptions(lk.statuses, g.NewStatus, "Select status"),
			ClosedStatuses: nameOptions(lk.statuses, g.ClosedStatus, "Select status")}
		gd.Reps = []option{{Value: "", Label: "Select rep", Selected: g.Rep == 0}}
		found := g.Rep == 0
		for _, rep := range lk.reps {
			if rep.Inactive && rep.Number != g.Rep {
				continue
			}
			sel := rep.Number == g.Rep
			found = found || sel
			gd.Reps = append(gd.Reps, option{Value: strconv.Itoa(rep.Number), Label: rep.Name, Selected: sel})
		}
		if !found {
			gd.Reps = append(gd.Reps, option{Value: strconv.Itoa(g.Rep), Label: fmt.Sprintf("rep %d (not in Tigerpaw)", g.Rep), Selected: true})
		}
		d.General = gd
	} else {
		idx, events := sectionRules(&rules, sec.Section)
		for _, i := range idx {
			var row ruleRow
			var o serviceorder.OrderSettings
			if events {
				e := rules.Events[i]
				o = e.OrderSettings
				row = ruleRow{Key: e.ID.String(), Name: eventName(e.ID), HasLifetime: e.ID.Origin != kaspersky.OriginOffice365, Lifetime: e.LifetimeDays}
			} else {
				s := rules.Statuses[i]
				o = s.OrderSettings
				row = ruleRow{Key: s.ID.String(), Name: statusName(s.ID)}
			}
			row.Index, row.Selected, row.Enabled = i, selected[i], o.Enabled
			row.Boards = boardOptions(lk.boards, o.Board, "(none)")
			row.Priorities = nameOptions(lk.priorities, o.Priority, "Select priority")
			row.Types = nameOptions(lk.types, o.Type, "(none)")
			d.Rows = append(d.Rows, row)
			d.HasLifetime = row.HasLifetime
		}
		d.BulkBoards = append([]option{{Value: "-", Label: "(unchanged)", Selected: true}}, boardOptions(lk.boards, 0, "(none)")...)
		d.BulkBoards[1].Selected = false
		d.BulkPriorities = append([]option{{Value: "-", Label: "(unchanged)", Selected: true}}, nameOptions(lk.priorities, "", "")[1:]...)
		d.BulkTypes = append([]option{{Value: "-", Label: "(unchanged)", Selected: true}}, nameOptions(lk.types, "", "(none)")...)
		d.BulkTypes[1].Selected = false
	}
	p.Tab, p.Title, p.Data, p.Section = "serviceorders", "Service orders", d, sec.Key
	h.render(w, status, "serviceorders.html", p)
}

func eventName(id serviceorder.EventRuleID) string {
	if id.Origin == kaspersky.OriginOffice365 {
		for _, t := range kaspersky.Office365EventTypes {
			if t.Type == id.O365Type {
				return t.Text
			}
		}
		return string(id.O365Type)
	}
	return id.Severity.String()
}

func statusName(id serviceorder.StatusRuleID) string {
	if d, ok := kaspersky.LookupStatus(id.Code); ok {
		return d.Text
	}
	return string(id.Code)
}

// postedSettings reads the settings of row i.
func postedSettings(r *http.Request, i int, key string) (serviceorder.OrderSettings, int, error) {
	var o serviceorder.OrderSettings
	if got := r.PostFormValue(fmt.Sprintf("rule.%d", i)); got != key {
		return o, 0, fmt.Errorf("row %d: the rules changed since the page was loaded; reload it", i)
	}
	o.Enabled = r.PostFormValue(fmt.Sprintf("on.%d", i)) == "on"
	board, err := formInt(r, fmt.Sprintf("board.%d", i), "board of "+key)
	if err != nil {
		return o, 0, err
	}
	o.Board = board
	o.Priority = r.PostFormValue(fmt.Sprintf("priority.%d", i))
	o.Type = r.PostFormValue(fmt.Sprintf("type.%d", i))
	life := 0
	if v := strings.TrimSpace(r.PostFormValue(fmt.Sprintf("lifetime.%d", i))); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return o, 0, fmt.Errorf("lifetime of %s: %q is not a number of days", key, v)
		}
		life = n
	}
	return o, life, nil
}

// applyPosted stages the posted section in ed and returns the selected rows.
func applyPosted(r *http.Request, ed *serviceorder.Editor, sec soSection) (map[int]bool, error) {
	rules := ed.Draft()
	if sec.Section == serviceorder.SectionGeneral {
		rep, err := formInt(r, "rep", "rep")
		if err != nil {
			return nil, err
		}
		ed.SetGeneral(serviceorder.General{Rep: rep, NewStatus: r.PostFormValue("newStatus"), ClosedStatus: r.PostFormValue("closedStatus")})
		return nil, nil
	}
	idx, events := sectionRules(&rules, sec.Section)
	selected := map[int]bool{}
	var evIDs []serviceorder.EventRuleID
	var stIDs []serviceorder.StatusRuleID
	for _, i := range idx {
		var key string
		if events {
			key = rules.Events[i].ID.String()
		} else {
			key = rules.Statuses[i].ID.String()
		}
		if r.PostFormValue(fmt.Sprintf("rule.%d", i)) == "" {
			continue // row not on the page
		}
		o, life, err := postedSettings(r, i, key)
		if err != nil {
			return nil, err
		}
		sel := r.PostFormValue(fmt.Sprintf("sel.%d", i)) == "on"
		selected[i] = sel
		if events {
			id := rules.Events[i].ID
			e := serviceorder.EventEdit{Enabled: &o.Enabled, Board: &o.Board, Priority: &o.Priority, Type: &o.Type}
			if id.Origin != kaspersky.OriginOffice365 {
				e.LifetimeDays = &life
			}
			if err := ed.EditEvents([]serviceorder.EventRuleID{id}, e); err != nil {
				return nil, err
			}
			if sel {
				evIDs = append(evIDs, id)
			}
		} else {
			id := rules.Statuses[i].ID
			if err := ed.EditStatuses([]serviceorder.StatusRuleID{id}, serviceorder.StatusEdit{Enabled: &o.Enabled, Board: &o.Board, Priority: &o.Priority, Type: &o.Type}); err != nil {
				return nil, err
			}
			if sel {
				stIDs = append(stIDs, id)
			}
		}
	}
	if r.PostFormValue("action") != "bulk" {
		return selected, nil
	}
	if len(evIDs)+len(stIDs) == 0 {
		return selected, errors.New("select one or more rows, then click Edit")
	}
	var en *bool
	switch r.PostFormValue("bulk.on") {
	case "on":
		en = ptr(true)
	case "off":
		en = ptr(false)
	}
	var board *int
	if v := r.PostFormValue("bulk.board"); v != "-" && r.PostForm.Has("bulk.board") {
		n, err := formInt(r, "bulk.board", "board")
		if err != nil {
			return selected, err
		}
		board = &n
	}
	var prio, typ *string
	if v := r.PostFormValue("bulk.priority"); v != "-" && r.PostForm.Has("bulk.priority") {
		prio = &v
	}
	if v := r.PostFormValue("bulk.type"); v != "-" && r.PostForm.Has("bulk.type") {
		typ = &v
	}
	if events {
		e := serviceorder.EventEdit{Enabled: en, Board: board, Priority: prio, Type: typ}
		if v := strings.TrimSpace(r.PostFormValue("bulk.lifetime")); v != "" && sec.Section != serviceorder.SectionOffice365Events {
			n, err := strconv.Atoi(v)
			if err != nil {
				return selected, fmt.Errorf("lifetime: %q is not a number of days", v)
			}
			e.LifetimeDays = &n
		}
		return selected, ed.EditEvents(evIDs, e)
	}
	return selected, ed.EditStatuses(stIDs, serviceorder.StatusEdit{Enabled: en, Board: board, Priority: prio, Type: typ})
}

func ptr[T any](v T) *T { return &v }

func (h *handler) postServiceOrders(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sec, ok := sectionByKey(r.PostFormValue("section"))
	if !ok {
		h.badRequest(w, fmt.Errorf("section %q: no such section", r.PostFormValue("section")))
		return
	}
	saved, rev, err := h.opt.Rules.LoadRules(ctx)
	if err != nil {
		h.fail(w, "serviceorders", err)
		return
	}
	action := r.PostFormValue("action")
	formRev, err := formRevision(r)
	if err != nil {
		h.badRequest(w, err)
		return
	}
	persist := func(ctx context.Context, rules serviceorder.Rules) error {
		_, err := h.opt.Rules.SaveRules(ctx, rules, formRev)
		return err
	}
	ed := serviceorder.NewEditor(saved, h.opt.Lookups, persist)
	switch action {
	case "cancel":
		h.renderServiceOrders(w, r, http.StatusOK, sec, saved, rev, nil, &page{Notice: "Changes cancelled: the last saved settings are shown."})
		return
	case "reset":
		ed.ResetToDefaults(sec.Section)
		h.renderServiceOrders(w, r, http.StatusOK, sec, ed.Draft(), rev, nil, &page{Notice: "Defaults shown. Click Save changes to save them."})
		return
	case "save", "bulk":
	default:
		h.badRequest(w, fmt.Errorf("action %q: want save, cancel, reset or bulk", action))
		return
	}
	selected, err := applyPosted(r, ed, sec)
	if err != nil {
		h.renderServiceOrders(w, r, http.StatusUnprocessableEntity, sec, ed.Draft(), rev, selected, &page{Error: "Not applied: " + err.Error()})
		return
	}
	if action == "bulk" {
		h.renderServiceOrders(w, r, http.StatusOK, sec, ed.Draft(), formRev, selected, &page{Notice: "Settings applied to the selected rows. Click Save changes to save them."})
		return
	}
	if formRev != rev {
		h.renderServiceOrders(w, r, http.StatusConflict, sec, ed.Draft(), formRev, selected, &page{Error: conflictMessage})
		return
	}
	if _, err := ed.Save(ctx); err != nil {
		var ve *serviceorder.ValidationError
		switch {
		case errors.As(err, &ve):
			fields := map[string]string{}
			for _, p := range ve.Problems {
				k := p.Rule + "|" + p.Field
				if fields[k] != "" {
					fields[k] += "; "
				}
				fields[k] += p.Reason
			}
			h.renderServiceOrders(w, r, http.StatusUnprocessableEntity, sec, ed.Draft(), formRev, selected,
				&page{Error: fmt.Sprintf("Not saved: %d problem(s): %s", len(ve.Problems), problemList(ve)), Errors: fields})
		case errors.Is(err, serviceorder.ErrRevisionConflict):
			h.renderServiceOrders(w, r, http.StatusConflict, sec, ed.Draft(), formRev, selected, &page{Error: conflictMessage})
		default:
			h.log.ErrorContext(ctx, "console: saving the rules", "error", err)
			h.renderServiceOrders(w, r, http.StatusBadGateway, sec, ed.Draft(), formRev, selected, &page{Error: "Not saved: " + err.Error()})
		}
		return
	}
	saved, rev, err = h.opt.Rules.LoadRules(ctx)
	if err != nil {
		h.fail(w, "serviceorders", err)
		return
	}
	h.log.InfoContext(ctx, "console: service order rules saved", "section", sec.Section.String(), "revision", rev)
	h.renderServiceOrders(w, r, http.StatusOK, sec, saved, rev, nil, &page{Notice: "Saved."})
}

func problemList(ve *serviceorder.ValidationError) string {
	parts := make([]string, len(ve.Problems))
	for i, p := range ve.Problems {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}
