package serviceorder_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
	sot "github.com/mspkit/kaspersky-tigerpaw/serviceorder/serviceordertest"
)

func TestDefaultRules(t *testing.T) {
	t.Parallel()
	r := serviceorder.DefaultRules()
	if r.General != (serviceorder.General{}) || r.CreationDelay != 0 {
		t.Fatalf("general defaults: %+v delay %v", r.General, r.CreationDelay)
	}
	perOrigin := map[kaspersky.Origin]int{}
	for _, e := range r.Events {
		perOrigin[e.ID.Origin]++
		if e.Enabled {
			t.Errorf("%s is on by default", e.ID)
		}
		wantLife := serviceorder.DefaultLifetimeDays
		if e.ID.Origin == kaspersky.OriginOffice365 {
			wantLife = 0
		}
		if e.LifetimeDays != wantLife {
			t.Errorf("%s lifetime %d, want %d", e.ID, e.LifetimeDays, wantLife)
		}
	}
	want := map[kaspersky.Origin]int{kaspersky.OriginKSC: 4, kaspersky.OriginKESCloud: 4, kaspersky.OriginOffice365: len(kaspersky.Office365EventTypes)}
	if d := cmp.Diff(want, perOrigin); d != "" {
		t.Fatalf("event rules per origin (-want +got):\n%s", d)
	}
	if len(r.Statuses) != 2*len(kaspersky.KnownStatuses) {
		t.Fatalf("%d status rules, want %d", len(r.Statuses), 2*len(kaspersky.KnownStatuses))
	}
	for _, s := range r.Statuses {
		if s.Enabled {
			t.Errorf("%s is on by default", s.ID)
		}
	}
	if r.Statuses[0].ID.String() != "Warning status: Device has become unmanaged" || r.Events[0].ID.String() != "Kaspersky Security Center events: Critical" {
		t.Fatalf("display order: first status %q, first event %q", r.Statuses[0].ID, r.Events[0].ID)
	}
	// The defaults lack only the required general settings.
	var ve *serviceorder.ValidationError
	if err := r.Validate(); !errors.As(err, &ve) || len(ve.Problems) != 3 {
		t.Fatalf("Validate(defaults) = %v, want the three general problems", err)
	}
}

func TestRulesJSONRoundTrip(t *testing.T) {
	t.Parallel()
	r := sot.Rules()
	r.CreationDelay = 15 * time.Minute
	r.Statuses[3].OrderSettings = serviceorder.OrderSettings{Enabled: true, Board: 2, Priority: "High", Type: "Security"}
	r.Events[1].LifetimeDays = 5
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back serviceorder.Rules
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(r, back); d != "" {
		t.Fatalf("rules after a JSON round trip (-want +got):\n%s", d)
	}
}

func TestEventRuleFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ev   kaspersky.Event
		want string
	}{
		{kaspersky.Event{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityInfo}, "Kaspersky Security Center events: Info"},
		{kaspersky.Event{Origin: kaspersky.OriginKESCloud, Severity: kaspersky.SeverityFunctionalFailure}, "Kaspersky Endpoint Security Cloud events: Functional failure"},
		{kaspersky.Event{Origin: kaspersky.OriginOffice365, Severity: kaspersky.SeverityCritical, O365Type: kaspersky.O365Phishing}, "Kaspersky Security for Microsoft Office 365 events: Phishing detected in a mailbox"},
	}
	for _, tc := range tests {
		id := serviceorder.EventRuleFor(&tc.ev)
		if id.String() != tc.want || !id.Valid() {
			t.Errorf("EventRuleFor(%+v) = %q (valid %v), want %q", tc.ev, id, id.Valid(), tc.want)
		}
	}
}

func TestRuleIDValid(t *testing.T) {
	t.Parallel()
	events := []struct {
		id   serviceorder.EventRuleID
		want bool
	}{
		{serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityWarning}, true},
		{serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityNone}, false},
		{serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityWarning, O365Type: kaspersky.O365Malware}, false},
		{serviceorder.EventRuleID{Origin: kaspersky.OriginOffice365, O365Type: kaspersky.O365Malware}, true},
		{serviceorder.EventRuleID{Origin: kaspersky.OriginOffice365, O365Type: "nope"}, false},
		{serviceorder.EventRuleID{Origin: kaspersky.OriginOffice365, O365Type: kaspersky.O365Malware, Severity: kaspersky.SeverityInfo}, false},
		{serviceorder.EventRuleID{Origin: 9}, false},
	}
	for _, tc := range events {
		if got := tc.id.Valid(); got != tc.want {
			t.Errorf("%+v.Valid() = %v, want %v", tc.id, got, tc.want)
		}
	}
	statuses := []struct {
		id   serviceorder.StatusRuleID
		want bool
	}{
		{serviceorder.StatusRuleID{Level: kaspersky.StatusCritical, Code: "future-code"}, true},
		{serviceorder.StatusRuleID{Level: kaspersky.StatusOK, Code: kaspersky.StatusLicenseExpired}, false},
		{serviceorder.StatusRuleID{Level: kaspersky.StatusWarning}, false},
	}
	for _, tc := range statuses {
		if got := tc.id.Valid(); got != tc.want {
			t.Errorf("%+v.Valid() = %v, want %v", tc.id, got, tc.want)
		}
	}
	if got := (serviceorder.StatusRuleID{Level: kaspersky.StatusCritical, Code: "future-code"}).String(); got != "Critical status: future-code" {
		t.Errorf("String of an unknown code = %q", got)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	r := serviceorder.DefaultRules()
	r.General = serviceorder.General{Rep: 0, NewStatus: " ", ClosedStatus: ""}
	r.CreationDelay = -time.Second
	r.Events[0].Enabled = true                                                                   // KSC Critical: no priority
	r.Events[1].LifetimeDays = 0                                                                 // KSC Functional failure
	r.Events[2].LifetimeDays = serviceorder.MaxLifetimeDays + 1                                  // KSC Warning
	r.Events[8].LifetimeDays = 2                                                                 // Office 365: no lifetime
	r.Events[9].Board = -1                                                                       // Office 365
	r.Events = append(r.Events, r.Events[4])                                                     // duplicate KES Cloud Critical
	r.Events = append(r.Events, serviceorder.EventRule{ID: serviceorder.EventRuleID{Origin: 7}}) // unknown
	r.Statuses[0].Enabled = true
	r.Statuses = append(r.Statuses, r.Statuses[1])
	r.Statuses = append(r.Statuses, serviceorder.StatusRule{ID: serviceorder.StatusRuleID{Level: kaspersky.StatusOK, Code: "x"}})

	err := r.Validate()
	var ve *serviceorder.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, serviceorder.ErrInvalid) {
		t.Fatalf("Validate: %v, want a *ValidationError matching ErrInvalid", err)
	}
	want := []serviceorder.Problem{
		{Rule: "General", Field: "rep", Reason: "is required"},
		{Rule: "General", Field: "new status", Reason: "is required"},
		{Rule: "General", Field: "closed status", Reason: "is required"},
		{Rule: "General", Field: "creation delay", Reason: "-1s is outside 0 to 168h0m0s"},
		{Rule: "Kaspersky Security Center events: Critical", Field: "priority", Reason: "is required when the rule is on"},
		{Rule: "Kaspersky Security Center events: Functional failure", Field: "lifetime", Reason: "0 days is outside 1 to 365"},
		{Rule: "Kaspersky Security Center events: Warning", Field: "lifetime", Reason: "366 days is outside 1 to 365"},
		{Rule: "Kaspersky Security for Microsoft Office 365 events: Exchange Online connection problem", Field: "lifetime", Reason: "Office 365 rules have no lifetime; leave it 0"},
		{Rule: "Kaspersky Security for Microsoft Office 365 events: Mailboxes protection is not provided", Field: "board", Reason: "board id -1 is negative"},
		{Rule: "Kaspersky Endpoint Security Cloud events: Critical", Field: "rule", Reason: "appears more than once"},
		{Rule: "Origin(7) events: none", Field: "rule", Reason: "is not a known event rule"},
		{Rule: "Warning status: Device has become unmanaged", Field: "priority", Reason: "is required when the rule is on"},
		{Rule: "Warning status: Real-time protection is not running", Field: "rule", Reason: "appears more than once"},
		{Rule: "OK status: x", Field: "rule", Reason: "is not a known status rule (level must be Warning or Critical, code non-empty)"},
	}
	if d := cmp.Diff(want, ve.Problems); d != "" {
		t.Fatalf("problems (-want +got):\n%s", d)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "serviceorder: 14 problem(s) in the rules: General: rep: is required; ") {
		t.Fatalf("Error() = %q", msg)
	}
}

func TestValidateWithLookups(t *testing.T) {
	t.Parallel()
	valid := sot.Rules()
	valid.Statuses[0].OrderSettings = serviceorder.OrderSettings{Enabled: true, Board: 3, Priority: "high", Type: "SECURITY"}
	if err := valid.ValidateWith(t.Context(), sot.Lookups()); err != nil {
		t.Fatalf("valid rules (names in another case): %v", err)
	}
	tests := []struct {
		name  string
		edit  func(*serviceorder.Rules)
		field string
		want  string
	}{
		{"unknown rep", func(r *serviceorder.Rules) { r.General.Rep = 99 }, "rep", "rep 99 does not exist in Tigerpaw"},
		{"inactive rep", func(r *serviceorder.Rules) { r.General.Rep = 8 }, "rep", "rep 8 (Gone Tech) is inactive"},
		{"unknown new status", func(r *serviceorder.Rules) { r.General.NewStatus = "Fresh" }, "new status", `status "Fresh" does not exist in Tigerpaw`},
		{"same statuses", func(r *serviceorder.Rules) { r.General.ClosedStatus = "new" }, "closed status", `must differ from the new status "New"`},
		{"unknown board", func(r *serviceorder.Rules) { r.Statuses[0].Board = 9 }, "board", "board 9 does not exist in Tigerpaw"},
		{"unknown priority", func(r *serviceorder.Rules) { r.Statuses[0].Priority = "Urgent" }, "priority", `priority "Urgent" does not exist in Tigerpaw`},
		{"unknown type", func(r *serviceorder.Rules) { r.Events[0].Type = "Hardware" }, "type", `type "Hardware" does not exist in Tigerpaw`},
		{"unknown priority on a rule that is off", func(r *serviceorder.Rules) { r.Events[3].Priority = "Urgent" }, "priority", `priority "Urgent" does not exist in Tigerpaw`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := valid.Clone()
			tc.edit(&r)
			var ve *serviceorder.ValidationError
			if err := r.ValidateWith(t.Context(), sot.Lookups()); !errors.As(err, &ve) {
				t.Fatalf("ValidateWith: %v, want a *ValidationError", err)
			}
			if len(ve.Problems) != 1 || ve.Problems[0].Field != tc.field || ve.Problems[0].Reason != tc.want {
				t.Fatalf("problems %v, want one %s problem %q", ve.Problems, tc.field, tc.want)
			}
		})
	}
}

func TestValidateWithLookupErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("tigerpaw down")
	for _, what := range []string{"reps", "boards", "statuses", "priorities", "types"} {
		l := &brokenLookups{StaticLookups: sot.Lookups(), fail: what, err: boom}
		r := sot.Rules()
		err := r.ValidateWith(t.Context(), l)
		if !errors.Is(err, boom) || errors.Is(err, serviceorder.ErrInvalid) || !strings.Contains(err.Error(), "reading "+what) {
			t.Errorf("lookup of %s failing: err = %v", what, err)
		}
	}
}

type brokenLookups struct {
	*serviceorder.StaticLookups
	fail string
	err  error
}

func (b *brokenLookups) Reps(ctx context.Context) ([]serviceorder.Rep, error) {
	if b.fail == "reps" {
		return nil, b.err
	}
	return b.StaticLookups.Reps(ctx)
}

func (b *brokenLookups) Boards(ctx context.Context) ([]serviceorder.Board, error) {
	if b.fail == "boards" {
		return nil, b.err
	}
	return b.StaticLookups.Boards(ctx)
}

func (b *brokenLookups) Statuses(ctx context.Context) ([]string, error) {
	if b.fail == "statuses" {
		return nil, b.err
	}
	return b.StaticLookups.Statuses(ctx)
}

func (b *brokenLookups) Priorities(ctx context.Context) ([]string, error) {
	if b.fail == "priorities" {
		return nil, b.err
	}
	return b.StaticLookups.Priorities(ctx)
}

func (b *brokenLookups) Types(ctx context.Context) ([]string, error) {
	if b.fail == "types" {
		return nil, b.err
	}
	return b.StaticLookups.Types(ctx)
}

func ptr[T any](v T) *T { return &v }

func TestEditorBulkEditAndSave(t *testing.T) {
	t.Parallel()
	var persisted []serviceorder.Rules
	e := serviceorder.NewEditor(sot.Rules(), sot.Lookups(), func(_ context.Context, r serviceorder.Rules) error {
		persisted = append(persisted, r)
		return nil
	})
	if e.Dirty() {
		t.Fatal("a new editor is dirty")
	}
	ids := []serviceorder.StatusRuleID{
		{Level: kaspersky.StatusWarning, Code: kaspersky.StatusDatabasesOutdated},
		{Level: kaspersky.StatusCritical, Code: kaspersky.StatusDatabasesOutdated},
		{Level: kaspersky.StatusWarning, Code: kaspersky.StatusManyViruses},
	}
	if err := e.EditStatuses(ids, serviceorder.StatusEdit{Enabled: ptr(true), Priority: ptr("High"), Board: ptr(3)}); err != nil {
		t.Fatal(err)
	}
	evIDs := []serviceorder.EventRuleID{
		{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical},
		{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityFunctionalFailure},
	}
	if err := e.EditEvents(evIDs, serviceorder.EventEdit{Enabled: ptr(true), LifetimeDays: ptr(3), Priority: ptr("Medium"), Type: ptr("Security")}); err != nil {
		t.Fatal(err)
	}
	if !e.Dirty() {
		t.Fatal("edits did not make the editor dirty")
	}
	if len(persisted) != 0 || e.Saved().Statuses[7].Enabled {
		t.Fatal("edits took effect before Save")
	}
	saved, err := e.Save(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(persisted) != 1 || e.Dirty() {
		t.Fatalf("Save persisted %d times; dirty %v", len(persisted), e.Dirty())
	}
	for _, id := range ids {
		r, ok := saved.Status(id)
		if !ok || r.OrderSettings != (serviceorder.OrderSettings{Enabled: true, Board: 3, Priority: "High"}) {
			t.Errorf("%s after bulk edit: %+v", id, r)
		}
	}
	for _, id := range evIDs {
		r, ok := saved.Event(id)
		if !ok || r.LifetimeDays != 3 || r.OrderSettings != (serviceorder.OrderSettings{Enabled: true, Priority: "Medium", Type: "Security"}) {
			t.Errorf("%s after bulk edit: %+v", id, r)
		}
	}
	if r, _ := saved.Status(serviceorder.StatusRuleID{Level: kaspersky.StatusCritical, Code: kaspersky.StatusManyViruses}); r.Enabled {
		t.Error("a rule outside the selection was changed")
	}
	if _, ok := saved.Status(serviceorder.StatusRuleID{Level: kaspersky.StatusOK, Code: "x"}); ok {
		t.Error("Status found a rule that does not exist")
	}
	if _, ok := saved.Event(serviceorder.EventRuleID{}); ok {
		t.Error("Event found a rule that does not exist")
	}
}

func TestEditorUnknownRuleChangesNothing(t *testing.T) {
	t.Parallel()
	e := serviceorder.NewEditor(sot.Rules(), nil, nil)
	good := serviceorder.StatusRuleID{Level: kaspersky.StatusWarning, Code: kaspersky.StatusDatabasesOutdated}
	err := e.EditStatuses([]serviceorder.StatusRuleID{good, {Level: kaspersky.StatusOK, Code: "x"}}, serviceorder.StatusEdit{Enabled: ptr(true)})
	if !errors.Is(err, serviceorder.ErrUnknownRule) || e.Dirty() {
		t.Fatalf("EditStatuses with an unknown id: err %v, dirty %v", err, e.Dirty())
	}
	err = e.EditEvents([]serviceorder.EventRuleID{{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityCritical}, {}}, serviceorder.EventEdit{Enabled: ptr(true)})
	if !errors.Is(err, serviceorder.ErrUnknownRule) || e.Dirty() {
		t.Fatalf("EditEvents with an unknown id: err %v, dirty %v", err, e.Dirty())
	}
}

func TestEditorSaveIsAllOrNothing(t *testing.T) {
	t.Parallel()
	start := sot.Rules()
	persistErr := errors.New("disk full")
	fail := true
	e := serviceorder.NewEditor(start, sot.Lookups(), func(context.Context, serviceorder.Rules) error {
		if fail {
			return persistErr
		}
		return nil
	})
	// Two problems at once: both reported, nothing saved.
	e.SetGeneral(serviceorder.General{Rep: 99, NewStatus: "New", ClosedStatus: "Closed"})
	_ = e.EditStatuses([]serviceorder.StatusRuleID{{Level: kaspersky.StatusWarning, Code: kaspersky.StatusLicenseExpired}}, serviceorder.StatusEdit{Enabled: ptr(true)})
	var ve *serviceorder.ValidationError
	if _, err := e.Save(t.Context()); !errors.As(err, &ve) || len(ve.Problems) != 2 {
		t.Fatalf("Save of an invalid draft: %v, want 2 problems", err)
	}
	if d := cmp.Diff(start, e.Saved()); d != "" {
		t.Fatalf("a failed Save changed the saved rules:\n%s", d)
	}
	// Valid draft, persist fails: nothing saved.
	e.SetGeneral(serviceorder.General{Rep: 7, NewStatus: "New", ClosedStatus: "Closed"})
	_ = e.EditStatuses([]serviceorder.StatusRuleID{{Level: kaspersky.StatusWarning, Code: kaspersky.StatusLicenseExpired}}, serviceorder.StatusEdit{Priority: ptr("Low")})
	if _, err := e.Save(t.Context()); !errors.Is(err, persistErr) {
		t.Fatalf("Save with a failing persist: %v", err)
	}
	if d := cmp.Diff(start, e.Saved()); d != "" {
		t.Fatalf("a failed persist changed the saved rules:\n%s", d)
	}
	fail = false
	saved, err := e.Save(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := saved.Status(serviceorder.StatusRuleID{Level: kaspersky.StatusWarning, Code: kaspersky.StatusLicenseExpired}); !r.Enabled || r.Priority != "Low" {
		t.Fatalf("saved rule: %+v", r)
	}
}

func TestEditorCancelAndResetPerSection(t *testing.T) {
	t.Parallel()
	start := sot.Rules()
	start.CreationDelay = time.Minute
	_ = startEnable(&start)
	e := serviceorder.NewEditor(start, nil, nil)

	warn := serviceorder.StatusRuleID{Level: kaspersky.StatusWarning, Code: kaspersky.StatusManyViruses}
	crit := serviceorder.StatusRuleID{Level: kaspersky.StatusCritical, Code: kaspersky.StatusManyViruses}
	ksc := serviceorder.EventRuleID{Origin: kaspersky.OriginKSC, Severity: kaspersky.SeverityInfo}
	o365 := serviceorder.EventRuleID{Origin: kaspersky.OriginOffice365, O365Type: kaspersky.O365Malware}
	edit := func() {
		_ = e.EditStatuses([]serviceorder.StatusRuleID{warn, crit}, serviceorder.StatusEdit{Type: ptr("Maintenance")})
		_ = e.EditEvents([]serviceorder.EventRuleID{ksc, o365}, serviceorder.EventEdit{Board: ptr(2)})
		e.SetGeneral(serviceorder.General{Rep: 1, NewStatus: "A", ClosedStatus: "B"})
		e.SetCreationDelay(time.Hour)
	}
	edit()
	e.Cancel(serviceorder.SectionWarningStatuses, serviceorder.SectionKSCEvents)
	d := e.Draft()
	if r, _ := d.Status(warn); r.Type != "" {
		t.Error("Cancel(Warning) kept the Warning edit")
	}
	if r, _ := d.Status(crit); r.Type != "Maintenance" {
		t.Error("Cancel(Warning) dropped the Critical edit")
	}
	if r, _ := d.Event(ksc); r.Board != 0 {
		t.Error("Cancel(KSC events) kept the KSC edit")
	}
	if r, _ := d.Event(o365); r.Board != 2 {
		t.Error("Cancel(KSC events) dropped the Office 365 edit")
	}
	if d.General.Rep != 1 || d.CreationDelay != time.Hour {
		t.Error("Cancel of other sections dropped the General edit")
	}
	if d.Statuses[0].ID != start.Statuses[0].ID || d.Events[0].ID != start.Events[0].ID || len(d.Statuses) != len(start.Statuses) {
		t.Error("Cancel changed the order or number of the rules")
	}
	e.Cancel(serviceorder.SectionGeneral)
	if d := e.Draft(); d.General != start.General || d.CreationDelay != time.Minute {
		t.Errorf("Cancel(General): %+v %v", d.General, d.CreationDelay)
	}
	e.Cancel()
	if e.Dirty() {
		t.Fatal("Cancel() of every section left the draft dirty")
	}

	// Reset to defaults: the enabled Critical rule goes off, General empties.
	e.ResetToDefaults(serviceorder.SectionCriticalStatuses)
	if r, _ := e.Draft().Status(crit); r.Enabled {
		t.Error("ResetToDefaults(Critical) kept the rule on")
	}
	if r, _ := e.Draft().Status(warn); !r.Enabled {
		t.Error("ResetToDefaults(Critical) changed a Warning rule")
	}
	if !e.Saved().Statuses[len(start.Statuses)/2+3].Enabled {
		t.Error("ResetToDefaults changed the saved rules before Save")
	}
	e.ResetToDefaults()
	if d := cmp.Diff(serviceorder.DefaultRules(), e.Draft()); d != "" {
		t.Fatalf("ResetToDefaults() (-want +got):\n%s", d)
	}
	if _, err := e.Save(t.Context()); !errors.Is(err, serviceorder.ErrInvalid) {
		t.Fatalf("saving the defaults must fail on the required general settings: %v", err)
	}
	e.ResetToDefaults(serviceorder.Section(99)) // ignored
}

// startEnable turns on "Many viruses detected" at both levels.
func startEnable(r *serviceorder.Rules) error {
	for i := range r.Statuses {
		if r.Statuses[i].ID.Code == kaspersky.StatusManyViruses {
			r.Statuses[i].OrderSettings = serviceorder.OrderSettings{Enabled: true, Priority: "High"}
		}
	}
	return nil
}

func TestStringers(t *testing.T) {
	t.Parallel()
	got := []string{
		serviceorder.SectionGeneral.String(), serviceorder.SectionOffice365Events.String(), serviceorder.SectionCriticalStatuses.String(), serviceorder.Section(0).String(),
		serviceorder.SectionKSCEvents.String(), serviceorder.SectionKESCloudEvents.String(), serviceorder.SectionWarningStatuses.String(),
		serviceorder.KindStatus.String(), serviceorder.KindEvent.String(), serviceorder.KindCondition.String(), serviceorder.Kind(0).String(),
		serviceorder.PhaseDelayed.String(), serviceorder.PhaseCreating.String(), serviceorder.PhaseOpen.String(), serviceorder.PhaseClosing.String(), serviceorder.Phase(0).String(),
		serviceorder.ActionClose.String(), serviceorder.ActionCreate.String(), serviceorder.ActionWatch.String(), serviceorder.ActionForget.String(), serviceorder.ActionType(0).String(),
		serviceorder.ReasonCleared.String(), serviceorder.ReasonConditionEnded.String(), serviceorder.CloseReason(0).String(),
	}
	want := []string{
		"General", "Kaspersky Security for Microsoft Office 365 events", "Critical status", "Section(0)",
		"Kaspersky Security Center events", "Kaspersky Endpoint Security Cloud events", "Warning status",
		"status", "event", "condition", "Kind(0)",
		"delayed", "creating", "open", "closing", "Phase(0)",
		"close", "create", "watch", "forget", "ActionType(0)",
		"the status description no longer applies", "the condition has ended", "CloseReason(0)",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("String() (-want +got):\n%s", d)
	}
}
