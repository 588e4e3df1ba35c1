package service

import (
	"context"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/service/sdnotify"
)

// Phase is a step of Run's life, told to the function of WithNotify and, under
// a systemd unit of Type=notify, to systemd.
type Phase int

const (
	// Running: Run has started the service (the stores are open, the HTTP
	// server listens) and schedules the cycles. systemd hears READY=1.
	Running Phase = iota + 1
	// Stopping: Run's context ended; the cycles in flight finish (see
	// WithShutdownTimeout) and Run returns. systemd hears STOPPING=1.
	Stopping
)

func (p Phase) String() string {
	switch p {
	case Running:
		return "running"
	case Stopping:
		return "stopping"
	}
	return "unknown"
}

// WithNotify calls f at each Phase of Run (a Windows service reports them to
// the service control manager). Under systemd, with $NOTIFY_SOCKET set, Run
// also tells systemd without this option, and sends WATCHDOG=1 at half of
// $WATCHDOG_USEC while it runs.
func WithNotify(f func(Phase)) Option { return func(s *Service) { s.notify = f } }

// tell says p to the function of WithNotify and to systemd.
func (s *Service) tell(p Phase) {
	if s.notify != nil {
		s.notify(p)
	}
	state := map[Phase]string{Running: sdnotify.Ready, Stopping: sdnotify.Stopping}[p]
	if err := s.sd.Notify(state, "STATUS="+p.String()); err != nil {
		s.log.Warn("telling systemd", "phase", p.String(), "err", err)
	}
}

// watchdog sends WATCHDOG=1 to systemd at half of $WATCHDOG_USEC until stop is
// called; without a watchdog it does nothing.
func (s *Service) watchdog() (stop func()) {
	if s.sd == nil {
		return func() {}
	}
	every, ok, err := sdnotify.WatchdogInterval()
	if err != nil {
		s.log.Warn("systemd watchdog not fed", "err", err)
	}
	if !ok {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if err := s.sd.Notify(sdnotify.Watchdog); err != nil {
				s.log.Warn("feeding the systemd watchdog", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}
