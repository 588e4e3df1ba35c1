package serviceorder

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// ErrUnknownRule is returned by the bulk edits when an id names no rule.
var ErrUnknownRule = errors.New("serviceorder: unknown rule")

// EventEdit is a bulk edit of event rules: every non-nil field is set on each
// selected rule; nil fields are left as they are.
type EventEdit struct {
	Enabled      *bool
	LifetimeDays *int
	Board        *int
	Priority     *string
	Type         *string
	Grouping     *Grouping
	ReopenHours  *int
}

// LicenseEdit is a bulk edit of license rules: every non-nil field is set on
// each selected rule; nil fields are left as they are. Days applies to expiry
// rules only.
type LicenseEdit struct {
	Enabled  *bool
	Days     *int
	Board    *int
	Priority *string
	Type     *string
}

// StatusEdit is a bulk edit of status rules: every non-nil field is set on each
// selected rule; nil fields are left as they are.
type StatusEdit struct {
	Enabled  *bool
	Board    *int
	Priority *string
	Type     *string
}

// Persist writes saved rules somewhere durable. It either stores all of them or
// returns an error and stores nothing.
type Persist func(ctx context.Context, r Rules) error

// Editor stages changes to the rules the way the settings window does: edits go to
// a draft; Save validates the whole draft and persists it all or nothing; Cancel
// and ResetToDefaults work per section. An Editor is safe for concurrent use.
type Editor struct {
	mu      sync.Mutex
	saved   Rules
	draft   Rules
	lookups Lookups
	persist Persist
}

// NewEditor returns an editor whose saved and draft rules are saved. lookups
// (may be nil: structural checks only) validates rep, statuses, boards,
// priorities and types on Save; persist (may be nil) stores the rules on Save.
func NewEditor(saved Rules, lookups Lookups, persist Persist) *Editor {
	return &Editor{saved: saved.Clone(), draft: saved.Clone(), lookups: lookups, persist: persist}
}

// Saved returns a copy of the last saved rules.
func (e *Editor) Saved() Rules {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.saved.Clone()
}

// Draft returns a copy of the draft.
func (e *Editor) Draft() Rules {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.draft.Clone()
}

// Dirty reports whether the draft differs from the saved rules.
func (e *Editor) Dirty() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range Sections {
		if !sectionEqual(&e.draft, &e.saved, s) {
			return true
		}
	}
	return false
}

// SetGeneral sets the general settings in the draft.
func (e *Editor) SetGeneral(g General) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.draft.General = g
}

// SetCreationDelay sets the creation delay of status orders in the draft. It is
// part of [SectionGeneral].
func (e *Editor) SetCreationDelay(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.draft.CreationDelay = d
}

// EditEvents applies edit to every event rule in ids, in the draft. If any id
// names no rule, nothing is changed and the error wraps [ErrUnknownRule].
func (e *Editor) EditEvents(ids []EventRuleID, edit EventEdit) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	rules, err := pick(e.draft.Events, ids, func(r *EventRule) EventRuleID { return r.ID })
	if err != nil {
		return err
	}
	for _, r := range rules {
		setIf(&r.Enabled, edit.Enabled)
		setIf(&r.LifetimeDays, edit.LifetimeDays)
		setIf(&r.Board, edit.Board)
		setIf(&r.Priority, edit.Priority)
		setIf(&r.Type, edit.Type)
		setIf(&r.Grouping, edit.Grouping)
		setIf(&r.ReopenHours, edit.ReopenHours)
	}
	return nil
}

// SetFloodLimit sets the flood limit in the draft (0 means the default). It is
// part of [SectionGeneral].
func (e *Editor) SetFloodLimit(n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.draft.FloodLimit = n
}

// EditLicenses applies edit to every license rule in ids, in the draft. If any
// id names no rule, nothing is changed and the error wraps [ErrUnknownRule].
// Rules saved before license rules existed get the default rows first.
func (e *Editor) EditLicenses(ids []LicenseRuleID, edit LicenseEdit) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.draft.Licenses) == 0 {
		e.draft.Licenses = DefaultRules().Licenses
	}
	rules, err := pick(e.draft.Licenses, ids, func(r *LicenseRule) LicenseRuleID { return r.ID })
	if err != nil {
		return err
	}
	for _, r := range rules {
		setIf(&r.Enabled, edit.Enabled)
		if r.ID.Condition == LicenseExpiring {
			setIf(&r.Days, edit.Days)
		}
		setIf(&r.Board, edit.Board)
		setIf(&r.Priority, edit.Priority)
		setIf(&r.Type, edit.Type)
	}
	return nil
}

// EditStatuses applies edit to every status rule in ids, in the draft. If any id
// names no rule, nothing is changed and the error wraps [ErrUnknownRule].
func (e *Editor) EditStatuses(ids []StatusRuleID, edit StatusEdit) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	rules, err := pick(e.draft.Statuses, ids, func(r *StatusRule) StatusRuleID { return r.ID })
	if err != nil {
		return err
	}
	for _, r := range rules {
		setIf(&r.Enabled, edit.Enabled)
		setIf(&r.Board, edit.Board)
		setIf(&r.Priority, edit.Priority)
		setIf(&r.Type, edit.Type)
	}
	return nil
}

// Cancel discards the draft changes of the given sections (all sections when
// none is given), restoring their last saved values.
func (e *Editor) Cancel(sections ...Section) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range orAll(sections) {
		copySection(&e.draft, &e.saved, s)
	}
}

// ResetToDefaults sets the given sections (all sections when none is given) of
// the draft to the product's defaults. Like any edit it takes effect on Save.
func (e *Editor) ResetToDefaults(sections ...Section) {
	e.mu.Lock()
	defer e.mu.Unlock()
	def := DefaultRules()
	for _, s := range orAll(sections) {
		copySection(&e.draft, &def, s)
	}
}

// Save validates the whole draft (against the lookups when the editor has them)
// and persists it. On any problem nothing is saved: the error is a
// [*ValidationError] listing every problem, or the lookup or persist error. On
// success the draft becomes the saved rules, which are returned.
func (e *Editor) Save(ctx context.Context) (Rules, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	draft := e.draft.Clone()
	var err error
	if e.lookups != nil {
		err = draft.ValidateWith(ctx, e.lookups)
	} else {
		err = draft.Validate()
	}
	if err != nil {
		return Rules{}, err
	}
	if e.persist != nil {
		if err := e.persist(ctx, draft); err != nil {
			return Rules{}, fmt.Errorf("serviceorder: saving rules: %w", err)
		}
	}
	e.saved = draft
	return draft.Clone(), nil
}

func orAll(sections []Section) []Section {
	if len(sections) == 0 {
		return Sections[:]
	}
	return sections
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// pick returns the rules of rs named by ids, in the order of ids, before any
// is changed: an id that names no rule is an error wrapping ErrUnknownRule,
// so that an edit changes all the rules it names or none.
func pick[R any, ID interface {
	comparable
	fmt.Stringer
}](rs []R, ids []ID, idOf func(*R) ID) ([]*R, error) {
	out := make([]*R, 0, len(ids))
	for _, id := range ids {
		i := slices.IndexFunc(rs, func(r R) bool { return idOf(&r) == id })
		if i < 0 {
			return nil, fmt.Errorf("%w: %s", ErrUnknownRule, id)
		}
		out = append(out, &rs[i])
	}
	return out, nil
}

// copySection replaces section s of dst by that of src, keeping the rules of the
// other sections and their order.
func copySection(dst, src *Rules, s Section) {
	if !s.valid() {
		return
	}
	if s == SectionGeneral {
		dst.General = src.General
		dst.CreationDelay = src.CreationDelay
		dst.FloodLimit = src.FloodLimit
		return
	}
	if s == SectionKSCLicenses || s == SectionHubLicenses {
		licenses := make([]LicenseRule, 0, len(dst.Licenses)+2)
		for _, r := range dst.Licenses {
			if licenseSection(r.ID) != s {
				licenses = append(licenses, r)
			}
		}
		for _, r := range src.Licenses {
			if licenseSection(r.ID) == s {
				licenses = append(licenses, r)
			}
		}
		dst.Licenses = sortLicenses(licenses)
		return
	}
	events := make([]EventRule, 0, len(dst.Events))
	for _, r := range dst.Events {
		if eventSection(r.ID) != s {
			events = append(events, r)
		}
	}
	for _, r := range src.Events {
		if eventSection(r.ID) == s {
			events = append(events, r)
		}
	}
	statuses := make([]StatusRule, 0, len(dst.Statuses))
	for _, r := range dst.Statuses {
		if statusSection(r.ID) != s {
			statuses = append(statuses, r)
		}
	}
	for _, r := range src.Statuses {
		if statusSection(r.ID) == s {
			statuses = append(statuses, r)
		}
	}
	dst.Events = sortEvents(events)
	dst.Statuses = sortStatuses(statuses)
}

// sortEvents orders event rules by section, keeping the order within a section.
func sortEvents(rs []EventRule) []EventRule {
	out := make([]EventRule, 0, len(rs))
	for _, s := range Sections {
		for _, r := range rs {
			if eventSection(r.ID) == s {
				out = append(out, r)
			}
		}
	}
	return out
}

// sortLicenses orders license rules by section, keeping the order within a
// section.
func sortLicenses(rs []LicenseRule) []LicenseRule {
	out := make([]LicenseRule, 0, len(rs))
	for _, s := range Sections {
		for _, r := range rs {
			if licenseSection(r.ID) == s {
				out = append(out, r)
			}
		}
	}
	return out
}

// sortStatuses orders status rules by section, keeping the order within a section.
func sortStatuses(rs []StatusRule) []StatusRule {
	out := make([]StatusRule, 0, len(rs))
	for _, s := range Sections {
		for _, r := range rs {
			if statusSection(r.ID) == s {
				out = append(out, r)
			}
		}
	}
	return out
}

func sectionEqual(a, b *Rules, s Section) bool {
	if s == SectionGeneral {
		return a.General == b.General && a.CreationDelay == b.CreationDelay && a.FloodLimit == b.FloodLimit
	}
	if s == SectionKSCLicenses || s == SectionHubLicenses {
		var la, lb []LicenseRule
		for _, r := range a.Licenses {
			if licenseSection(r.ID) == s {
				la = append(la, r)
			}
		}
		for _, r := range b.Licenses {
			if licenseSection(r.ID) == s {
				lb = append(lb, r)
			}
		}
		return slices.Equal(la, lb)
	}
	var ea, eb []EventRule
	for _, r := range a.Events {
		if eventSection(r.ID) == s {
			ea = append(ea, r)
		}
	}
	for _, r := range b.Events {
		if eventSection(r.ID) == s {
			eb = append(eb, r)
		}
	}
	var sa, sb []StatusRule
	for _, r := range a.Statuses {
		if statusSection(r.ID) == s {
			sa = append(sa, r)
		}
	}
	for _, r := range b.Statuses {
		if statusSection(r.ID) == s {
			sb = append(sb, r)
		}
	}
	return slices.Equal(ea, eb) && slices.Equal(sa, sb)
}
