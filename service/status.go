package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	kt "github.com/mspkit/kaspersky-tigerpaw"
)

// statusCycles is how many cycles of each job /status shows.
const statusCycles = 10

// statusBoard keeps the last cycles of each job for /status and /readyz. A nil
// board records nothing.
type statusBoard struct {
	mu      sync.Mutex
	started time.Time
	jobs    map[string]*jobStatus
}

// jobStatus is one job's part of /status.
type jobStatus struct {
	Running bool       `json:"running"`
	NextRun *time.Time `json:"nextRun,omitempty"`
	// Cycles are the last cycles, the latest first.
	Cycles []cycleStatus `json:"cycles"`
	// Standby is set when this replica skipped the job's last cycle because
	// another replica holds the leader lease; SkippedCycles counts those.
	Standby       bool `json:"standby,omitempty"`
	SkippedCycles int  `json:"skippedCycles,omitempty"`
	// State is the job's state in words (see JobState) and Missing, when the
	// state is "not configured", what the integration still misses.
	State   string   `json:"state"`
	Missing []string `json:"missing,omitempty"`
	// Held is how many billing changes the guard holds for approval, as of
	// the last cycle that planned (its tenants' heldChanges say which).
	Held int `json:"held,omitempty"`
	// FloodLimit is the service order flood limit of the last cycle;
	// Summaries and Suppressed count, since the start, the flood guard's
	// summary orders and the events listed in them instead of opened (each
	// cycle and tenant in Cycles has its own counts).
	FloodLimit int `json:"floodLimit,omitempty"`
	Summaries  int `json:"summaries,omitempty"`
	Suppressed int `json:"suppressed,omitempty"`
}

// The states of a job, as /status and the console show them.
const (
	StateNeverRun      = "never run"
	StateRunning       = "running"
	StateStandby       = "standby"
	StateNotConfigured = "not configured"
	StateOK            = "ok"
	StatePartial       = "partial"
	StateFailed        = "failed"
)

// state is the job's state: running, standby, never run, or the outcome of
// its last cycle.
func (j *jobStatus) state() string {
	switch {
	case j.Running:
		return StateRunning
	case j.Standby:
		return StateStandby
	case len(j.Cycles) == 0:
		return StateNeverRun
	}
	switch j.Cycles[0].Outcome() {
	case kt.OutcomeNotConfigured:
		return StateNotConfigured
	case kt.OutcomeFailed:
		return StateFailed
	case kt.OutcomePartial:
		return StatePartial
	}
	return StateOK
}

// cycleStatus is a cycle in /status.
type cycleStatus struct {
	kt.CycleResult
	// Duration replaces the result's nanoseconds with a Go duration string.
	Duration        string  `json:"duration"`
	DurationSeconds float64 `json:"durationSeconds"`
	Error           string  `json:"error,omitempty"`
}

func newStatusBoard() *statusBoard {
	return &statusBoard{started: time.Now(), jobs: map[string]*jobStatus{
		kt.JobBilling: {Cycles: []cycleStatus{}}, kt.JobServiceOrders: {Cycles: []cycleStatus{}},
	}}
}

func (b *statusBoard) job(name string) *jobStatus {
	j := b.jobs[name]
	if j == nil {
		j = &jobStatus{Cycles: []cycleStatus{}}
		b.jobs[name] = j
	}
	return j
}

func (b *statusBoard) setRunning(job string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	j := b.job(job)
	j.Running, j.NextRun, j.Standby = true, nil, false // a cycle runs on the leader only
}

func (b *statusBoard) setNext(job string, next time.Time) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	next = next.UTC()
	b.job(job).NextRun = &next
}

// setStandby records a cycle skipped because another replica leads.
func (b *statusBoard) setStandby(job string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	j := b.job(job)
	j.Running, j.Standby = false, true
	j.SkippedCycles++
}

func (b *statusBoard) record(r kt.CycleResult) {
	if b == nil {
		return
	}
	c := cycleStatus{CycleResult: r, Duration: r.Duration.String(), DurationSeconds: r.Duration.Seconds()}
	if r.Err != nil {
		c.Error = r.Err.Error()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	j := b.job(r.Job)
	j.Running, j.Standby = false, false
	if o := r.Outcome(); r.Job == kt.JobBilling && (o == kt.OutcomeOK || o == kt.OutcomePartial) {
		j.Held = r.Held
	}
	if r.FloodLimit > 0 {
		j.FloodLimit = r.FloodLimit
	}
	j.Summaries += r.Summaries
	j.Suppressed += r.Suppressed
	j.Cycles = append([]cycleStatus{c}, j.Cycles...)
	if len(j.Cycles) > statusCycles {
		j.Cycles = j.Cycles[:statusCycles]
	}
}

// statusJSON is the body of /status.
func (b *statusBoard) statusJSON() ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, j := range b.jobs {
		j.State, j.Missing = j.state(), nil
		if j.State == StateNotConfigured {
			j.Missing = j.Cycles[0].NotConfigured
		}
	}
	return json.MarshalIndent(struct {
		Started time.Time             `json:"started"`
		Jobs    map[string]*jobStatus `json:"jobs"`
	}{b.started.UTC(), b.jobs}, "", "  ")
}

// ready reports why the runtime is not ready: the last cycle of a job failed
// whole (CycleResult.Failed: nothing read or written, every tenant failed, or
// a server refused the credentials). A partial cycle, or one that found the
// integration not configured yet, leaves it ready; a later cycle that does
// not fail makes it ready again.
func (b *statusBoard) ready() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(b.jobs)) {
		j := b.jobs[name]
		if len(j.Cycles) > 0 && j.Cycles[0].Failed {
			reason := j.Cycles[0].Error
			if reason == "" {
				reason = "no reason given"
			}
			errs = append(errs, fmt.Errorf("the last %s cycle failed: %s", name, reason))
		}
	}
	return errors.Join(errs...)
}

// JobState is what the runtime knows of one job (the console's overview
// shows it; see Service.Jobs).
type JobState struct {
	// Job is kasperskytigerpaw.JobBilling or JobServiceOrders.
	Job string
	// State is one of the State… constants.
	State string
	// Missing says what the integration misses, in words, when State is
	// StateNotConfigured.
	Missing []string
	// LastStart is when the last cycle started; zero when none ran.
	LastStart time.Time
	// LastError is the last cycle's error, if any.
	LastError string
	// NextRun is when the next cycle runs; zero when none is scheduled.
	NextRun time.Time
}

// held returns how many billing changes the guard holds, and what they are,
// as of the last billing cycle that planned.
func (b *statusBoard) held() (int, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	j := b.job(kt.JobBilling)
	for _, c := range j.Cycles {
		if o := c.Outcome(); o == kt.OutcomeOK || o == kt.OutcomePartial {
			var lines []string
			for _, t := range c.Tenants {
				for _, h := range t.HeldChanges {
					lines = append(lines, "tenant "+t.Tenant+": "+h)
				}
			}
			return c.Held, lines
		}
	}
	return 0, nil
}

// jobStates returns the state of each job, billing first.
func (b *statusBoard) jobStates() []JobState {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []JobState
	for _, name := range []string{kt.JobBilling, kt.JobServiceOrders} {
		j := b.job(name)
		s := JobState{Job: name, State: j.state()}
		if len(j.Cycles) > 0 {
			c := j.Cycles[0]
			s.LastStart, s.LastError = c.Start, c.Error
			if s.State == StateNotConfigured {
				s.Missing = slices.Clone(c.NotConfigured)
			}
		}
		if j.NextRun != nil {
			s.NextRun = *j.NextRun
		}
		out = append(out, s)
	}
	return out
}

// jobSnapshot is a copy of one job's status.
type jobSnapshot struct {
	Name    string
	Running bool
	Standby bool
	Cycles  []cycleStatus // the latest first
	// FloodLimit, Summaries and Suppressed are the service order flood
	// guard's (see jobStatus).
	FloodLimit, Summaries, Suppressed int
}

// snapshot returns a copy of each job's status, billing first.
func (b *statusBoard) snapshot() []jobSnapshot {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []jobSnapshot
	for _, name := range []string{kt.JobBilling, kt.JobServiceOrders} {
		j := b.job(name)
		out = append(out, jobSnapshot{Name: name, Running: j.Running, Standby: j.Standby, Cycles: slices.Clone(j.Cycles),
			FloodLimit: j.FloodLimit, Summaries: j.Summaries, Suppressed: j.Suppressed})
	}
	return out
}
