package serviceorder

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// ErrInvalid is matched (with errors.Is) by every [*ValidationError].
var ErrInvalid = errors.New("serviceorder: invalid rules")

// Rep is a Tigerpaw rep, as the lookups report it.
type Rep struct {
	Number   int
	Name     string
	Inactive bool
}

// Board is a Tigerpaw dispatch board.
type Board struct {
	ID   int
	Name string
}

// Lookups lists the values Tigerpaw offers for the rule settings. The root package
// implements it over the Tigerpaw master tables; tests use a literal
// [StaticLookups].
type Lookups interface {
	// Reps lists the reps orders may be assigned to.
	Reps(ctx context.Context) ([]Rep, error)
	// Statuses lists the service order status names.
	Statuses(ctx context.Context) ([]string, error)
	// Boards lists the dispatch boards.
	Boards(ctx context.Context) ([]Board, error)
	// Priorities lists the priority names.
	Priorities(ctx context.Context) ([]string, error)
	// Types lists the service order type names.
	Types(ctx context.Context) ([]string, error)
}

// StaticLookups is a [Lookups] over fixed lists.
type StaticLookups struct {
	RepList      []Rep
	StatusList   []string
	BoardList    []Board
	PriorityList []string
	TypeList     []string
}

// Reps returns l.RepList.
func (l *StaticLookups) Reps(context.Context) ([]Rep, error) { return l.RepList, nil }

// Statuses returns l.StatusList.
func (l *StaticLookups) Statuses(context.Context) ([]string, error) { return l.StatusList, nil }

// Boards returns l.BoardList.
func (l *StaticLookups) Boards(context.Context) ([]Board, error) { return l.BoardList, nil }

// Priorities returns l.PriorityList.
func (l *StaticLookups) Priorities(context.Context) ([]string, error) { return l.PriorityList, nil }

// Types returns l.TypeList.
func (l *StaticLookups) Types(context.Context) ([]string, error) { return l.TypeList, nil }

// Problem is one thing wrong with the rules.
type Problem struct {
	// Rule names the rule ("General", "Warning status: Databases are out of date").
	Rule string
	// Field names the setting ("rep", "priority", "lifetime", ...).
	Field string
	// Reason says what is wrong.
	Reason string
}

// String renders the problem as "rule: field: reason".
func (p Problem) String() string { return p.Rule + ": " + p.Field + ": " + p.Reason }

// ValidationError lists every problem found in the rules at once.
type ValidationError struct {
	Problems []Problem
}

// Error lists the problems, one per line after the first.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("serviceorder: %d problem(s) in the rules: %s", len(e.Problems), strings.Join(parts, "; "))
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Validate checks r on its own: required fields, ranges, duplicate or unknown
// rules. It returns a [*ValidationError] naming every problem, or nil.
func (r *Rules) Validate() error {
	return r.validate(nil)
}

// ValidateWith checks r like [Rules.Validate] and also checks the rep, statuses,
// boards, priorities and types against what Tigerpaw offers. An error reading
// the lookups is returned as is (wrapped), not as a validation problem.
func (r *Rules) ValidateWith(ctx context.Context, l Lookups) error {
	set, err := readLookups(ctx, l)
	if err != nil {
		return err
	}
	return r.validate(set)
}

type lookupSet struct {
	reps       map[int]Rep
	statuses   map[string]bool
	boards     map[int]bool
	priorities map[string]bool
	types      map[string]bool
}

func readLookups(ctx context.Context, l Lookups) (*lookupSet, error) {
	set := &lookupSet{reps: map[int]Rep{}, statuses: map[string]bool{}, boards: map[int]bool{}, priorities: map[string]bool{}, types: map[string]bool{}}
	reps, err := l.Reps(ctx)
	if err != nil {
		return nil, fmt.Errorf("serviceorder: reading reps: %w", err)
	}
	for _, r := range reps {
		set.reps[r.Number] = r
	}
	boards, err := l.Boards(ctx)
	if err != nil {
		return nil, fmt.Errorf("serviceorder: reading boards: %w", err)
	}
	for _, b := range boards {
		set.boards[b.ID] = true
	}
	for _, s := range []struct {
		what string
		get  func(context.Context) ([]string, error)
		into map[string]bool
	}{
		{"statuses", l.Statuses, set.statuses},
		{"priorities", l.Priorities, set.priorities},
		{"types", l.Types, set.types},
	} {
		names, err := s.get(ctx)
		if err != nil {
			return nil, fmt.Errorf("serviceorder: reading %s: %w", s.what, err)
		}
		for _, n := range names {
			s.into[strings.ToLower(n)] = true
		}
	}
	return set, nil
}

type problems []Problem

func (p *problems) add(rule, field, format string, args ...any) {
	*p = append(*p, Problem{Rule: rule, Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (r *Rules) validate(set *lookupSet) error {
	var ps problems
	g := r.General
	const general = "General"
	switch {
	case g.Rep <= 0:
		ps.add(general, "rep", "is required")
	case set != nil:
		rep, ok := set.reps[g.Rep]
		if !ok {
			ps.add(general, "rep", "rep %d does not exist in Tigerpaw", g.Rep)
		} else if rep.Inactive {
			ps.add(general, "rep", "rep %d (%s) is inactive", g.Rep, rep.Name)
		}
	}
	checkStatus := func(field, value string) {
		switch {
		case strings.TrimSpace(value) == "":
			ps.add(general, field, "is required")
		case set != nil && !set.statuses[strings.ToLower(value)]:
			ps.add(general, field, "status %q does not exist in Tigerpaw", value)
		}
	}
	checkStatus("new status", g.NewStatus)
	checkStatus("closed status", g.ClosedStatus)
	if g.NewStatus != "" && strings.EqualFold(g.NewStatus, g.ClosedStatus) {
		ps.add(general, "closed status", "must differ from the new status %q", g.NewStatus)
	}
	if r.CreationDelay < 0 || r.CreationDelay > MaxCreationDelay {
		ps.add(general, "creation delay", "%s is outside 0 to %s", r.CreationDelay, MaxCreationDelay)
	}
	if r.FloodLimit < 0 || r.FloodLimit > MaxFloodLimit {
		ps.add(general, "flood limit", "%d is outside 1 to %d (0 means the default, %d)", r.FloodLimit, MaxFloodLimit, DefaultFloodLimit)
	}

	seenEvents := make(map[EventRuleID]bool, len(r.Events))
	for i := range r.Events {
		e := &r.Events[i]
		name := e.ID.String()
		if !e.ID.Valid() {
			ps.add(name, "rule", "is not a known event rule")
			continue
		}
		if seenEvents[e.ID] {
			ps.add(name, "rule", "appears more than once")
			continue
		}
		seenEvents[e.ID] = true
		if e.ID.Origin == kaspersky.OriginOffice365 { // no lifetime setting
			if e.LifetimeDays != 0 {
				ps.add(name, "lifetime", "Office 365 rules have no lifetime; leave it 0")
			}
		} else if e.LifetimeDays < 1 || e.LifetimeDays > MaxLifetimeDays {
			ps.add(name, "lifetime", "%d days is outside 1 to %d", e.LifetimeDays, MaxLifetimeDays)
		}
		switch e.Grouping {
		case "", GroupEachEvent:
			if e.ReopenHours != 0 {
				ps.add(name, "reopen window", "needs grouping %q; leave it 0 with one order per event", GroupDevice)
			}
		case GroupDevice:
			if e.ID.Origin == kaspersky.OriginOffice365 && e.ID.O365Type.IsCondition() {
				ps.add(name, "grouping", "a condition rule already keeps one order per condition; leave it %q", GroupEachEvent)
			}
			if e.ReopenHours < 0 || e.ReopenHours > MaxReopenHours {
				ps.add(name, "reopen window", "%d hours is outside 0 to %d", e.ReopenHours, MaxReopenHours)
			}
		default:
			ps.add(name, "grouping", "%q is neither %q nor %q", e.Grouping, GroupEachEvent, GroupDevice)
		}
		e.OrderSettings.check(&ps, name, set)
	}
	seenLicenses := make(map[LicenseRuleID]bool, len(r.Licenses))
	for i := range r.Licenses {
		l := &r.Licenses[i]
		name := l.ID.String()
		if !l.ID.Valid() {
			ps.add(name, "rule", "is not a known license rule (solution must be a virtual server or company, condition %q or %q)", LicenseExpiring, LicenseOverused)
			continue
		}
		if seenLicenses[l.ID] {
			ps.add(name, "rule", "appears more than once")
			continue
		}
		seenLicenses[l.ID] = true
		if l.ID.Condition == LicenseExpiring {
			if l.Days < 0 || l.Days > MaxLicenseDays {
				ps.add(name, "days", "%d days is outside 1 to %d (0 means the default, %d)", l.Days, MaxLicenseDays, DefaultLicenseDays)
			}
		} else if l.Days != 0 {
			ps.add(name, "days", "only the expiry rule has days; leave it 0")
		}
		l.OrderSettings.check(&ps, name, set)
	}
	seenStatuses := make(map[StatusRuleID]bool, len(r.Statuses))
	for i := range r.Statuses {
		s := &r.Statuses[i]
		name := s.ID.String()
		if !s.ID.Valid() {
			ps.add(name, "rule", "is not a known status rule (level must be Warning or Critical, code non-empty)")
			continue
		}
		if seenStatuses[s.ID] {
			ps.add(name, "rule", "appears more than once")
			continue
		}
		seenStatuses[s.ID] = true
		s.OrderSettings.check(&ps, name, set)
	}
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps}
}

func (o *OrderSettings) check(ps *problems, rule string, set *lookupSet) {
	if o.Board < 0 {
		ps.add(rule, "board", "board id %d is negative", o.Board)
	} else if o.Board > 0 && set != nil && !set.boards[o.Board] {
		ps.add(rule, "board", "board %d does not exist in Tigerpaw", o.Board)
	}
	if strings.TrimSpace(o.Priority) == "" {
		if o.Enabled {
			ps.add(rule, "priority", "is required when the rule is on")
		}
	} else if set != nil && !set.priorities[strings.ToLower(o.Priority)] {
		ps.add(rule, "priority", "priority %q does not exist in Tigerpaw", o.Priority)
	}
	if o.Type != "" && set != nil && !set.types[strings.ToLower(o.Type)] {
		ps.add(rule, "type", "type %q does not exist in Tigerpaw", o.Type)
	}
}

// Missing lists, in words, what the rules still need before the service order
// job can run: today only the General settings every order uses, as one item
// like "service order General settings missing: rep, new status, closed
// status". It is empty when nothing is missing; the rules may still be
// invalid in other ways ([Rules.Validate]). The rules of an empty
// [RulesStore] ([DefaultRules]) miss all three General settings.
func (r *Rules) Missing() []string {
	var fields []string
	if r.General.Rep <= 0 {
		fields = append(fields, "rep")
	}
	if strings.TrimSpace(r.General.NewStatus) == "" {
		fields = append(fields, "new status")
	}
	if strings.TrimSpace(r.General.ClosedStatus) == "" {
		fields = append(fields, "closed status")
	}
	if len(fields) == 0 {
		return nil
	}
	return []string{"service order General settings missing: " + strings.Join(fields, ", ")}
}
