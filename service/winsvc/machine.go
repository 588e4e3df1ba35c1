package winsvc

import (
	"context"
	"sync"
	"time"
)

// State is a service's state as the service control manager knows it.
type State int

const (
	Stopped State = iota + 1
	StartPending
	Running
	StopPending
)

func (s State) String() string {
	switch s {
	case Stopped:
		return "stopped"
	case StartPending:
		return "start pending"
	case Running:
		return "running"
	case StopPending:
		return "stop pending"
	}
	return "unknown"
}

// Request is a control request of the service control manager.
type Request int

const (
	Interrogate Request = iota + 1 // report the current status again
	Stop                           // an administrator stops the service
	Shutdown                       // the system shuts down
	PreShutdown                    // the system is about to shut down (more time than Shutdown)
	Other                          // anything else: not accepted, ignored
)

// Status is what the service reports to the service control manager.
type Status struct {
	State State
	// AcceptStop: Stop, Shutdown and PreShutdown are accepted (once running).
	AcceptStop bool
	// CheckPoint grows while a start or a stop is pending, to show progress;
	// WaitHint is how long until the next report.
	CheckPoint uint32
	WaitHint   time.Duration
	// ExitCode is the daemon's exit code, once stopped.
	ExitCode int
}

// Runner runs the daemon until ctx ends, calling running once it has
// started; it returns the daemon's exit code.
type Runner func(ctx context.Context, running func()) int

// machine drives a Runner from control requests: it reports start pending,
// then running once the runner says so; on Stop, Shutdown or PreShutdown it
// reports stop pending and ends the runner's context, and the runner
// finishes its cycle in flight, as on SIGTERM; then it reports stopped with
// the runner's exit code. While a start or a stop is pending it reports
// progress every pendingEvery.
type machine struct {
	report       func(Status)
	pendingEvery time.Duration
}

// serve runs run under the requests of reqs and returns its final status
// (Stopped, with the exit code). It does not report that final status: the
// service control manager learns it when the service's main function
// returns.
func (m machine) serve(reqs <-chan Request, run Runner) Status {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	var once sync.Once
	done := make(chan int, 1)
	go func() { done <- run(ctx, func() { once.Do(func() { close(started) }) }) }()

	cur := Status{State: StartPending, CheckPoint: 1, WaitHint: 2 * m.pendingEvery}
	m.report(cur)
	tick := time.NewTicker(m.pendingEvery)
	defer tick.Stop()
	stop := func() {
		if cur.State == StopPending {
			return
		}
		cur = Status{State: StopPending, CheckPoint: 1, WaitHint: 2 * m.pendingEvery}
		m.report(cur)
		cancel()
	}
	for {
		select {
		case <-started:
			started = nil
			if cur.State == StartPending {
				cur = Status{State: Running, AcceptStop: true}
				m.report(cur)
			}
		case r := <-reqs:
			switch r {
			case Interrogate:
				m.report(cur)
			case Stop, Shutdown, PreShutdown:
				stop()
			}
		case <-tick.C:
			if cur.State == StartPending || cur.State == StopPending {
				cur.CheckPoint++
				m.report(cur)
			}
		case code := <-done:
			return Status{State: Stopped, ExitCode: code}
		}
	}
}
