package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// soSection is one entry of the Service orders tab's left pane.
type soSection struct {
	Key string
	// Label is the link's words under its group ("Events"); Name the
	// section's full name ("Kaspersky Security Center events"): the link's
	// accessible name and the section's heading.
	Label, Name string
	Section     serviceorder.Section
}

// soGroup is an application or solution of the left pane with its sections;
// General has no group (empty Name).
type soGroup struct {
	ID, Name string
	Sections []soSection
}

var (
	soGeneral  = soSection{"general", "General", "General", serviceorder.SectionGeneral}
	soWarning  = soSection{"warning", "Warning status", "Warning status", serviceorder.SectionWarningStatuses}
	soCritical = soSection{"critical", "Critical status", "Critical status", serviceorder.SectionCriticalStatuses}
)

// soGroups is the left pane of a solution, as the product shows it: for
// Kaspersky Security Center its events, the computer statuses and its
// licenses; for Business Hub the events of Kaspersky Endpoint Security Cloud
// and of Kaspersky Security for Microsoft Office 365, the computer statuses
// and its licenses.
func soGroups(sol mapping.Solution) []soGroup {
	if sol == mapping.SolutionHub {
		return []soGroup{
			{Sections: []soSection{soGeneral}},
			{ID: "kescloud", Name: "Kaspersky Endpoint Security Cloud", Sections: []soSection{
				{"kescloud", "Events", "Kaspersky Endpoint Security Cloud events", serviceorder.SectionKESCloudEvents}}},
			{ID: "o365", Name: "Kaspersky Security for Microsoft Office 365", Sections: []soSection{
				{"o365", "Events", "Kaspersky Security for Microsoft Office 365 events", serviceorder.SectionOffice365Events}}},
			{ID: "hub", Name: "Kaspersky Business Hub", Sections: []soSection{soWarning, soCritical,
				{"licenses", "Licenses", "Kaspersky Business Hub licenses", serviceorder.SectionHubLicenses}}},
		}
	}
	return []soGroup{
		{Sections: []soSection{soGeneral}},
		{ID: "ksc", Name: "Kaspersky Security Center", Sections: []soSection{
			{"ksc", "Events", "Kaspersky Security Center events", serviceorder.SectionKSCEvents},
			soWarning, soCritical,
			{"licenses", "Licenses", "Kaspersky Security Center licenses", serviceorder.SectionKSCLicenses}}},
	}
}

// sectionByKey finds a section of the solution's pane; "" is General.
func sectionByKey(sol mapping.Solution, key string) (soSection, bool) {
	if key == "" {
		key = soGeneral.Key
	}
	for _, g := range soGroups(sol) {
		for _, s := range g.Sections {
			if s.Key == key {
				return s, true
			}
		}
	}
	return soSection{}, false
}

// solution is the integration's solution: the saved one, else the options'
// (Kaspersky Security Center when neither says).
func (h *handler) solution(ctx context.Context) (mapping.Solution, error) {
	cfg, err := h.opt.Store.Load(ctx, h.opt.Integration)
	switch {
	case errors.Is(err, mapping.ErrNotFound):
	case err != nil:
		return "", fmt.Errorf("reading the integration %q: %w", h.opt.Integration, err)
	case cfg.Solution.Valid():
		return cfg.Solution, nil
	}
	if h.opt.Solution.Valid() {
		return h.opt.Solution, nil
	}
	return mapping.SolutionKSC, nil
}

// tenantWord is what the solution calls a tenant.
func tenantWord(sol mapping.Solution) string {
	if sol == mapping.SolutionHub {
		return "company"
	}
	return "virtual server"
}

// Kinds of rule sections.
const (
	kindEvents   = "events"
	kindStatuses = "statuses"
	kindLicenses = "licenses"
)

// ruleRow is one event severity, Office 365 event type, status description
// or license condition.
type ruleRow struct {
	Index int
	// Key is the rule's name, checked on post; problems name their rule so.
	Key string
	// Name is what the row shows; its controls are named after it.
	Name        string
	Selected    bool
	Enabled     bool
	HasLifetime bool
	Lifetime    int
	// CanGroup: an event rule that may keep repeats on one order (not an
	// Office 365 condition, which keeps one order per condition anyway).
	IsEvent     bool
	CanGroup    bool
	Groupings   []option
	ReopenHours int
	// HasDays: the license expiry rule, with its days ahead.
	HasDays bool
	Days    int

	Boards, Priorities, Types []option
}

type generalData struct {
	Reps, NewStatuses, ClosedStatuses []option
	FloodLimit                        int
	// CreationDelay is the status rules' creation delay in whole minutes,
	// and MaxCreationDelay its largest value.
	CreationDelay, MaxCreationDelay int
	Tenant                          string
}

type serviceOrdersData struct {
	Revision int64
	// Base fingerprints the section's saved settings the page started from.
	Base string
	// Staged: the page shows changes that are not saved.
	Staged  bool
	Groups  []soGroup
	Current soSection
	General *generalData
	// Kind is kindEvents, kindStatuses or kindLicenses; NameColumn the
	// heading of the rows' names.
	Kind, NameColumn string
	Solution         string
	Rows             []ruleRow
	// Columns shown.
	HasLifetime, HasGrouping, HasDays bool
	// Bulk edit choices (with "unchanged" first).
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

// The words of the groupings.
const (
	groupEachEventText = "One order per event"
	groupDeviceText    = "One order per device and event type"
)

// groupingOptions is a row's drop-down under the column "One order per".
func groupingOptions(cur serviceorder.Grouping) []option {
	device := cur == serviceorder.GroupDevice
	return []option{
		{Value: string(serviceorder.GroupEachEvent), Label: "Event", Selected: !device},
		{Value: string(serviceorder.GroupDevice), Label: "Device and event type", Selected: device},
	}
}

// withLicenses gives rules saved before license rules existed the default
// (off) license rows, as the editor does on their first edit.
func withLicenses(r serviceorder.Rules) serviceorder.Rules {
	if len(r.Licenses) == 0 {
		r.Licenses = serviceorder.DefaultRules().Licenses
	}
	return r
}

// sectionRules returns the indexes into r.Events, r.Statuses or r.Licenses
// (as kind says) of the rules of section s.
func sectionRules(r *serviceorder.Rules, s serviceorder.Section) (idx []int, kind string) {
	switch s {
	case serviceorder.SectionKSCEvents, serviceorder.SectionKESCloudEvents, serviceorder.SectionOffice365Events:
		origin := map[serviceorder.Section]kaspersky.Origin{serviceorder.SectionKSCEvents: kaspersky.OriginKSC,
			serviceorder.SectionKESCloudEvents: kaspersky.OriginKESCloud, serviceorder.SectionOffice365Events: kaspersky.OriginOffice365}[s]
		for i, e := range r.Events {
			if e.ID.Origin == origin {
				idx = append(idx, i)
			}
		}
		return idx, kindEvents
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
		return idx, kindStatuses
	case serviceorder.SectionKSCLicenses, serviceorder.SectionHubLicenses:
		sol := kaspersky.KindVirtualServer
		if s == serviceorder.SectionHubLicenses {
			sol = kaspersky.KindCompany
		}
		for i, l := range r.Licenses {
			if l.ID.Solution == sol {
				idx = append(idx, i)
			}
		}
		return idx, kindLicenses
	}
	return nil, ""
}

// sectionHash fingerprints the settings of section s: a save whose page
// started from another fingerprint was based on settings someone changed.
func sectionHash(r *serviceorder.Rules, s serviceorder.Section) string {
	var v any
	idx, kind := sectionRules(r, s)
	switch kind {
	case kindEvents:
		rows := make([]serviceorder.EventRule, len(idx))
		for n, i := range idx {
			rows[n] = r.Events[i]
		}
		v = rows
	case kindStatuses:
		rows := make([]serviceorder.StatusRule, len(idx))
		for n, i := range idx {
			rows[n] = r.Statuses[i]
		}
		v = rows
	case kindLicenses:
		rows := make([]serviceorder.LicenseRule, len(idx))
		for n, i := range idx {
			rows[n] = r.Licenses[i]
		}
		v = rows
	default:
		v = []any{r.General, r.CreationDelay, r.FloodLimit}
	}
	b, _ := json.Marshal(v) // plain structs of strings and numbers
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// changedRows names what differs between two versions of section s: the
// rows, or General's fields.
func changedRows(a, b *serviceorder.Rules, s serviceorder.Section) []string {
	var out []string
	idx, kind := sectionRules(a, s)
	switch kind {
	case kindEvents:
		for _, i := range idx {
			if i < len(b.Events) && a.Events[i] != b.Events[i] {
				out = append(out, eventName(a.Events[i].ID))
			}
		}
	case kindStatuses:
		for _, i := range idx {
			if i < len(b.Statuses) && a.Statuses[i] != b.Statuses[i] {
				out = append(out, statusName(a.Statuses[i].ID))
			}
		}
	case kindLicenses:
		for _, i := range idx {
			if i < len(b.Licenses) && a.Licenses[i] != b.Licenses[i] {
				out = append(out, licenseName(a.Licenses[i].ID))
			}
		}
	default:
		ga, gb := a.General, b.General
		for _, f := range []struct {
			name string
			diff bool
		}{{"rep", ga.Rep != gb.Rep}, {"new status", ga.NewStatus != gb.NewStatus}, {"closed status", ga.ClosedStatus != gb.ClosedStatus},
			{"flood limit", a.Flood() != b.Flood()}, {"creation delay", a.CreationDelay != b.CreationDelay}} {
			if f.diff {
				out = append(out, f.name)
			}
		}
	}
	return out
}

// soView is what a Service orders page shows.
type soView struct {
	sol      mapping.Solution
	sec      soSection
	rules    serviceorder.Rules
	rev      int64
	base     string
	selected map[int]bool
	staged   bool
}

func (h *handler) serviceOrders(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sol, err := h.solution(ctx)
	if err != nil {
		h.fail(w, "serviceorders", err)
		return
	}
	key := r.URL.Query().Get("section")
	sec, ok := sectionByKey(sol, key)
	if !ok {
		http.Error(w, "no section "+strconv.Quote(key)+" for "+solutionName(sol), http.StatusNotFound)
		return
	}
	rules, rev, err := h.opt.Rules.LoadRules(ctx)
	if err != nil {
		h.fail(w, "serviceorders", err)
		return
	}
	rules = withLicenses(rules)
	p := &page{}
	if f, ok := h.readFlash(w, r); ok {
		if f.ok {
			p.Notice = f.msg
		} else {
			p.Error = f.msg
		}
	}
	h.renderServiceOrders(w, r, http.StatusOK, soView{sol: sol, sec: sec, rules: rules, rev: rev, base: sectionHash(&rules, sec.Section)}, p)
}

func solutionName(sol mapping.Solution) string {
	if sol == mapping.SolutionHub {
		return "Kaspersky Business Hub"
	}
	return "Kaspersky Security Center"
}

func (h *handler) renderServiceOrders(w http.ResponseWriter, r *http.Request, status int, v soView, p *page) {
	lk, err := h.readLookups(r.Context())
	if err != nil {
		h.fail(w, "serviceorders", err)
		return
	}
	rules, sec := v.rules, v.sec
	d := serviceOrdersData{Revision: v.rev, Base: v.base, Staged: v.staged, Groups: soGroups(v.sol), Current: sec, Solution: solutionName(v.sol)}
	if sec.Section == serviceorder.SectionGeneral {
		g := rules.General
		gd := &generalData{NewStatuses: nameOptions(lk.statuses, g.NewStatus, "Select status"),
			ClosedStatuses: nameOptions(lk.statuses, g.ClosedStatus, "Select status"),
			FloodLimit:     rules.FloodLimit, Tenant: tenantWord(v.sol),
			CreationDelay: int(rules.CreationDelay / time.Minute), MaxCreationDelay: int(serviceorder.MaxCreationDelay / time.Minute)}
		if gd.FloodLimit == 0 {
			gd.FloodLimit = serviceorder.DefaultFloodLimit
		}
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
		idx, kind := sectionRules(&rules, sec.Section)
		d.Kind = kind
		switch {
		case kind == kindStatuses:
			d.NameColumn = "Status description"
		case kind == kindLicenses:
			d.NameColumn = "Condition"
		case sec.Section == serviceorder.SectionOffice365Events:
			d.NameColumn = "Event type"
		default:
			d.NameColumn = "Event severity"
		}
		for _, i := range idx {
			var row ruleRow
			var o serviceorder.OrderSettings
			switch kind {
			case kindEvents:
				e := rules.Events[i]
				o = e.OrderSettings
				row = ruleRow{Key: e.ID.String(), Name: eventName(e.ID), HasLifetime: e.ID.Origin != kaspersky.OriginOffice365, Lifetime: e.LifetimeDays,
					IsEvent: true, CanGroup: canGroup(e.ID), Groupings: groupingOptions(e.Grouping), ReopenHours: e.ReopenHours}
				d.HasGrouping = d.HasGrouping || row.CanGroup
			case kindStatuses:
				s := rules.Statuses[i]
				o = s.OrderSettings
				row = ruleRow{Key: s.ID.String(), Name: statusName(s.ID)}
			case kindLicenses:
				l := rules.Licenses[i]
				o = l.OrderSettings
				row = ruleRow{Key: l.ID.String(), Name: licenseName(l.ID), HasDays: l.ID.Condition == serviceorder.LicenseExpiring, Days: l.Days}
				if row.HasDays && row.Days == 0 {
					row.Days = serviceorder.DefaultLicenseDays
				}
				d.HasDays = d.HasDays || row.HasDays
			}
			row.Index, row.Selected, row.Enabled = i, v.selected[i], o.Enabled
			row.Boards = boardOptions(lk.boards, o.Board, "(none)")
			row.Priorities = nameOptions(lk.priorities, o.Priority, "Select priority")
			row.Types = nameOptions(lk.types, o.Type, "(none)")
			d.Rows = append(d.Rows, row)
			d.HasLifetime = d.HasLifetime || row.HasLifetime
		}
		d.BulkBoards = append([]option{{Value: "-", Label: "(unchanged)", Selected: true}}, boardOptions(lk.boards, 0, "(none)")...)
		d.BulkBoards[1].Selected = false
		d.BulkPriorities = append([]option{{Value: "-", Label: "(unchanged)", Selected: true}}, nameOptions(lk.priorities, "", "")[1:]...)
		d.BulkTypes = append([]option{{Value: "-", Label: "(unchanged)", Selected: true}}, nameOptions(lk.types, "", "(none)")...)
		d.BulkTypes[1].Selected = false
	}
	p.Tab, p.Title, p.Data, p.Section = "serviceorders", "Service orders: "+sec.Name, d, sec.Key
	h.render(w, status, "serviceorders.html", p)
}

// canGroup reports whether an event rule may keep repeats on one order.
func canGroup(id serviceorder.EventRuleID) bool {
	return id.Origin != kaspersky.OriginOffice365 || !id.O365Type.IsCondition()
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

// licenseName is a license rule's row in the solution's words.
func licenseName(id serviceorder.LicenseRuleID) string {
	hub := id.Solution == kaspersky.KindCompany
	switch id.Condition {
	case serviceorder.LicenseExpiring:
		if hub {
			return "A license or subscription expires soon"
		}
		return "A license key expires soon"
	case serviceorder.LicenseOverused:
		if hub {
			return "More devices, users or mailboxes use a license than it allows"
		}
		return "More devices use a license key than it allows"
	}
	return string(id.Condition)
}

// formProblems collects what is wrong with a posted form, by rule and field
// as serviceorder names its own problems.
type formProblems []serviceorder.Problem

func (ps *formProblems) add(rule, field, format string, args ...any) {
	*ps = append(*ps, serviceorder.Problem{Rule: rule, Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (ps formProblems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &serviceorder.ValidationError{Problems: ps}
}

// postedInt reads a whole number field; empty is 0. A malformed one is a
// problem of rule's field.
func postedInt(r *http.Request, name string, ps *formProblems, rule, field, unit string) int {
	v := strings.TrimSpace(r.PostFormValue(name))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		ps.add(rule, field, "%q is not a whole number of %s", v, unit)
		return 0
	}
	return n
}

// postedCreationDelay reads the creation delay field of General, in whole
// minutes from 0 (none) to serviceorder.MaxCreationDelay; "" is 0. A value
// out of range or not a whole number is a problem of the field.
func postedCreationDelay(v string, ps *formProblems) time.Duration {
	const general, field = "General", "creation delay"
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	maxMinutes := int(serviceorder.MaxCreationDelay / time.Minute)
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		ps.add(general, field, "%q is not a whole number of minutes", v)
		return 0
	case n < 0:
		ps.add(general, field, "%d minutes is negative: 0 is no delay", n)
		return 0
	case n > maxMinutes:
		ps.add(general, field, "%d minutes is more than the %d minutes (%d days) allowed", n, maxMinutes, serviceorder.MaxCreationDelay/(24*time.Hour))
		return 0
	}
	return time.Duration(n) * time.Minute
}

// postedSettings reads the Create, Board, Priority and Type of row i.
func postedSettings(r *http.Request, i int, key string, ps *formProblems) serviceorder.OrderSettings {
	var o serviceorder.OrderSettings
	o.Enabled = r.PostFormValue(fmt.Sprintf("on.%d", i)) == "on"
	o.Board = postedInt(r, fmt.Sprintf("board.%d", i), ps, key, "board", "a board id")
	o.Priority = r.PostFormValue(fmt.Sprintf("priority.%d", i))
	o.Type = r.PostFormValue(fmt.Sprintf("type.%d", i))
	return o
}

// postedGrouping reads a grouping drop-down; nil when not posted.
func postedGrouping(r *http.Request, name string, ps *formProblems, rule string) *serviceorder.Grouping {
	if !r.PostForm.Has(name) {
		return nil
	}
	switch g := serviceorder.Grouping(r.PostFormValue(name)); g {
	case serviceorder.GroupEachEvent, serviceorder.GroupDevice:
		return &g
	case "-":
		return nil
	default:
		ps.add(rule, "grouping", "%q is neither %q nor %q", g, groupEachEventText, groupDeviceText)
		return nil
	}
}

// applyPosted stages the posted section in ed and returns the selected rows.
// A malformed field is a *serviceorder.ValidationError naming it.
func applyPosted(r *http.Request, ed *serviceorder.Editor, sec soSection, sol mapping.Solution) (map[int]bool, error) {
	var ps formProblems
	rules := withLicenses(ed.Draft())
	if sec.Section == serviceorder.SectionGeneral {
		const general = "General"
		rep := postedInt(r, "rep", &ps, general, "rep", "a rep number")
		flood := rules.FloodLimit // kept when not posted; empty is 0, the default
		if r.PostForm.Has("floodLimit") {
			flood = postedInt(r, "floodLimit", &ps, general, "flood limit", "orders per "+tenantWord(sol)+" and cycle")
		}
		delay := rules.CreationDelay // kept when not posted; empty is 0, none
		if r.PostForm.Has("creationDelay") {
			if d := postedCreationDelay(r.PostFormValue("creationDelay"), &ps); d/time.Minute != delay/time.Minute {
				delay = d // a stored delay of seconds, shown as its whole minutes, is kept when posted back
			}
		}
		if err := ps.err(); err != nil {
			return nil, err
		}
		ed.SetGeneral(serviceorder.General{Rep: rep, NewStatus: r.PostFormValue("newStatus"), ClosedStatus: r.PostFormValue("closedStatus")})
		ed.SetFloodLimit(flood)
		ed.SetCreationDelay(delay)
		return nil, nil
	}
	idx, kind := sectionRules(&rules, sec.Section)
	selected := map[int]bool{}
	var evIDs []serviceorder.EventRuleID
	var stIDs []serviceorder.StatusRuleID
	var liIDs []serviceorder.LicenseRuleID
	var edits []func() error
	for _, i := range idx {
		var key string
		switch kind {
		case kindEvents:
			key = rules.Events[i].ID.String()
		case kindStatuses:
			key = rules.Statuses[i].ID.String()
		default:
			key = rules.Licenses[i].ID.String()
		}
		posted := r.PostFormValue(fmt.Sprintf("rule.%d", i))
		if posted == "" {
			continue // row not on the page
		}
		if posted != key {
			return nil, fmt.Errorf("row %d: the rules changed since the page was loaded; reload it", i)
		}
		o := postedSettings(r, i, key, &ps)
		sel := r.PostFormValue(fmt.Sprintf("sel.%d", i)) == "on"
		selected[i] = sel
		switch kind {
		case kindEvents:
			rule := rules.Events[i]
			e := serviceorder.EventEdit{Enabled: &o.Enabled, Board: &o.Board, Priority: &o.Priority, Type: &o.Type}
			if rule.ID.Origin != kaspersky.OriginOffice365 {
				e.LifetimeDays = ptr(postedInt(r, fmt.Sprintf("lifetime.%d", i), &ps, key, "lifetime", "days"))
			}
			if canGroup(rule.ID) {
				e.Grouping = postedGrouping(r, fmt.Sprintf("grouping.%d", i), &ps, key)
				if name := fmt.Sprintf("reopen.%d", i); r.PostForm.Has(name) {
					e.ReopenHours = ptr(postedInt(r, name, &ps, key, "reopen window", "hours"))
				}
			}
			edits = append(edits, func() error { return ed.EditEvents([]serviceorder.EventRuleID{rule.ID}, e) })
			if sel {
				evIDs = append(evIDs, rule.ID)
			}
		case kindStatuses:
			id := rules.Statuses[i].ID
			edits = append(edits, func() error {
				return ed.EditStatuses([]serviceorder.StatusRuleID{id}, serviceorder.StatusEdit{Enabled: &o.Enabled, Board: &o.Board, Priority: &o.Priority, Type: &o.Type})
			})
			if sel {
				stIDs = append(stIDs, id)
			}
		default:
			id := rules.Licenses[i].ID
			e := serviceorder.LicenseEdit{Enabled: &o.Enabled, Board: &o.Board, Priority: &o.Priority, Type: &o.Type}
			if id.Condition == serviceorder.LicenseExpiring {
				e.Days = ptr(postedInt(r, fmt.Sprintf("days.%d", i), &ps, key, "days", "days"))
			}
			edits = append(edits, func() error { return ed.EditLicenses([]serviceorder.LicenseRuleID{id}, e) })
			if sel {
				liIDs = append(liIDs, id)
			}
		}
	}
	if err := ps.err(); err != nil {
		return selected, err
	}
	for _, edit := range edits {
		if err := edit(); err != nil {
			return selected, err
		}
	}
	if r.PostFormValue("action") != "bulk" {
		return selected, nil
	}
	if len(evIDs)+len(stIDs)+len(liIDs) == 0 {
		return selected, errors.New("select one or more rows, then click Edit")
	}
	const bulk = "Edit the selected rows"
	var en *bool
	switch r.PostFormValue("bulk.on") {
	case "on":
		en = ptr(true)
	case "off":
		en = ptr(false)
	}
	var board *int
	if v := r.PostFormValue("bulk.board"); v != "-" && r.PostForm.Has("bulk.board") {
		board = ptr(postedInt(r, "bulk.board", &ps, bulk, "board", "a board id"))
	}
	var prio, typ *string
	if v := r.PostFormValue("bulk.priority"); v != "-" && r.PostForm.Has("bulk.priority") {
		prio = &v
	}
	if v := r.PostFormValue("bulk.type"); v != "-" && r.PostForm.Has("bulk.type") {
		typ = &v
	}
	switch kind {
	case kindEvents:
		e := serviceorder.EventEdit{Enabled: en, Board: board, Priority: prio, Type: typ}
		if v := strings.TrimSpace(r.PostFormValue("bulk.lifetime")); v != "" && sec.Section != serviceorder.SectionOffice365Events {
			e.LifetimeDays = ptr(postedInt(r, "bulk.lifetime", &ps, bulk, "lifetime", "days"))
		}
		grouping := postedGrouping(r, "bulk.grouping", &ps, bulk)
		if err := ps.err(); err != nil {
			return selected, err
		}
		if err := ed.EditEvents(evIDs, e); err != nil || grouping == nil {
			return selected, err
		}
		// The grouping goes to the rows that may group; one order per event
		// has no reopen window.
		var groupable []serviceorder.EventRuleID
		for _, id := range evIDs {
			if canGroup(id) {
				groupable = append(groupable, id)
			}
		}
		g := serviceorder.EventEdit{Grouping: grouping}
		if *grouping == serviceorder.GroupEachEvent {
			g.ReopenHours = ptr(0)
		}
		return selected, ed.EditEvents(groupable, g)
	case kindStatuses:
		if err := ps.err(); err != nil {
			return selected, err
		}
		return selected, ed.EditStatuses(stIDs, serviceorder.StatusEdit{Enabled: en, Board: board, Priority: prio, Type: typ})
	default:
		if err := ps.err(); err != nil {
			return selected, err
		}
		return selected, ed.EditLicenses(liIDs, serviceorder.LicenseEdit{Enabled: en, Board: board, Priority: prio, Type: typ})
	}
}

func ptr[T any](v T) *T { return &v }

// problemsPage is the page of a form that was not applied or saved: its
// problems listed, and shown next to their fields.
func problemsPage(what string, err error) *page {
	var ve *serviceorder.ValidationError
	if !errors.As(err, &ve) {
		return &page{Error: what + ": " + err.Error()}
	}
	p := &page{Errors: map[string]string{},
		Error: fmt.Sprintf("%s: %d problem(s), also shown next to their fields:", what, len(ve.Problems))}
	for _, pr := range ve.Problems {
		k := pr.Rule + "|" + pr.Field
		if p.Errors[k] != "" {
			p.Errors[k] += "; "
		}
		p.Errors[k] += pr.Reason
		p.Problems = append(p.Problems, pr.String())
	}
	return p
}

// redirectSaved answers a save with a redirect to the section's page, which
// shows msg once (POST-redirect-GET through the console's savedRedirect).
func (h *handler) redirectSaved(w http.ResponseWriter, r *http.Request, sec soSection, msg string) {
	h.savedRedirect(w, r, "serviceorders?section="+url.QueryEscape(sec.Key), msg)
}

// The answers to a save of the Service orders tab.
const (
	soSavedMessage        = "Saved."
	soAlreadySavedMessage = "Already saved: this form was saved before (a repeated submit, or a reload); nothing changed."
)

func (h *handler) postServiceOrders(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sol, err := h.solution(ctx)
	if err != nil {
		h.fail(w, "serviceorders", err)
		return
	}
	sec, ok := sectionByKey(sol, r.PostFormValue("section"))
	if !ok {
		h.badRequest(w, fmt.Errorf("section %q: not a section of %s", r.PostFormValue("section"), solutionName(sol)))
		return
	}
	saved, rev, err := h.opt.Rules.LoadRules(ctx)
	if err != nil {
		h.fail(w, "serviceorders", err)
		return
	}
	saved = withLicenses(saved)
	action := r.PostFormValue("action")
	formRev, err := formRevision(r)
	if err != nil {
		h.badRequest(w, err)
		return
	}
	savedBase := sectionHash(&saved, sec.Section)
	v := soView{sol: sol, sec: sec, rules: saved, rev: rev, base: savedBase}
	// The save goes over the revision loaded here: a save by someone else
	// since then is still refused by the store.
	persist := func(ctx context.Context, rules serviceorder.Rules) error {
		_, err := h.opt.Rules.SaveRules(ctx, rules, rev)
		return err
	}
	ed := serviceorder.NewEditor(saved, h.opt.Lookups, persist)
	switch action {
	case "cancel":
		h.renderServiceOrders(w, r, http.StatusOK, v, &page{Notice: "Changes cancelled: the last saved settings are shown."})
		return
	case "reset":
		ed.ResetToDefaults(sec.Section)
		v.rules, v.staged = withLicenses(ed.Draft()), ed.Dirty()
		h.renderServiceOrders(w, r, http.StatusOK, v, &page{Notice: "Defaults shown. Click Save changes to save them."})
		return
	case "save", "bulk":
	default:
		h.badRequest(w, fmt.Errorf("action %q: want save, cancel, reset or bulk", action))
		return
	}
	// From here the page shows the posted rows, still based on the page's
	// revision.
	v.rev, v.base = formRev, r.PostFormValue("base")
	what := "Not saved"
	if action == "bulk" {
		what = "Not applied"
	}
	selected, err := applyPosted(r, ed, sec, sol)
	v.rules, v.selected, v.staged = withLicenses(ed.Draft()), selected, true
	if err != nil {
		h.renderServiceOrders(w, r, http.StatusUnprocessableEntity, v, problemsPage(what, err))
		return
	}
	if action == "bulk" {
		v.staged = ed.Dirty()
		h.renderServiceOrders(w, r, http.StatusOK, v, &page{Notice: "Settings applied to the selected rows. Click Save changes to save them."})
		return
	}
	dirty := ed.Dirty()
	if formRev != rev && v.base != savedBase {
		// This section was saved since the page was loaded. The same form
		// again (a double click, a reload that posts again) finds its own
		// settings saved; anything else is a conflict.
		if !dirty {
			h.log.InfoContext(ctx, "console: service order rules already saved", "section", sec.Section.String(), "revision", rev)
			h.redirectSaved(w, r, sec, soAlreadySavedMessage)
			return
		}
		h.renderServiceOrders(w, r, http.StatusConflict, v, &page{Error: soConflictMessage(formRev, rev, changedRows(&saved, &v.rules, sec.Section))})
		return
	}
	// A save of another section in between is no conflict: this section's
	// rows are saved over the others' latest settings.
	if _, err := ed.Save(ctx); err != nil {
		switch {
		case errors.As(err, new(*serviceorder.ValidationError)):
			h.renderServiceOrders(w, r, http.StatusUnprocessableEntity, v, problemsPage(what, err))
		case errors.Is(err, serviceorder.ErrRevisionConflict):
			// Saved by someone else since this request loaded the rules: the
			// same form posted twice at once finds its own settings saved.
			if now, nowRev, lerr := h.opt.Rules.LoadRules(ctx); lerr == nil {
				now = withLicenses(now)
				if sectionHash(&now, sec.Section) == sectionHash(&v.rules, sec.Section) {
					h.redirectSaved(w, r, sec, soAlreadySavedMessage)
					return
				}
				h.renderServiceOrders(w, r, http.StatusConflict, v, &page{Error: soConflictMessage(rev, nowRev, changedRows(&now, &v.rules, sec.Section))})
				return
			}
			h.renderServiceOrders(w, r, http.StatusConflict, v, &page{Error: conflictMessage})
		default:
			h.log.ErrorContext(ctx, "console: saving the rules", "error", err)
			h.renderServiceOrders(w, r, http.StatusBadGateway, v, &page{Error: "Not saved: " + err.Error()})
		}
		return
	}
	h.log.InfoContext(ctx, "console: service order rules saved", "section", sec.Section.String(), "base revision", rev)
	h.redirectSaved(w, r, sec, soSavedMessage)
}

// soConflictMessage says that the section was saved by someone else since
// the page was loaded, and where the saved settings differ from the page's.
func soConflictMessage(from, now int64, differ []string) string {
	msg := fmt.Sprintf("Not saved: this section was changed elsewhere since this page was loaded (revision conflict: revision %d, now %d).", from, now)
	if len(differ) > 0 {
		msg += " The saved settings differ from yours in: " + strings.Join(differ, ", ") + "."
	}
	return msg + " Your changes are still shown; Cancel changes loads the saved settings, then redo them."
}
