//go:build windows

package winsvc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/mspkit/kaspersky-tigerpaw/internal/rotate"
)

// Event IDs of the Event Log source.
const (
	eventInfo    = 1
	eventWarning = 2
	eventError   = 3
)

func isService() (bool, error) { return svc.IsWindowsService() }

// runService runs the daemon under the service control manager.
func (p Program) runService(args []string) int {
	logw, err := rotate.Open(p.LogPath(), logMaxSize, logKeep)
	el, elErr := eventlog.Open(p.Name)
	if err != nil {
		// Without its log file the service still runs; the Event Log says why.
		if elErr == nil {
			el.Error(eventError, fmt.Sprintf("%s: opening the log file: %v", p.Name, err))
		}
		logw = nil
	}
	var file io.Writer = io.Discard
	if logw != nil {
		defer logw.Close()
		file = logw
	}
	events := &eventWriter{emit: func(Level, string) {}}
	if elErr == nil {
		defer el.Close()
		events.emit = func(l Level, line string) {
			if l == LevelError {
				el.Error(eventError, line)
			} else {
				el.Warning(eventWarning, line)
			}
		}
	}
	args = p.serviceArgs(args)
	h := &handler{p: p, args: args, stdout: file, stderr: io.MultiWriter(file, events)}
	if elErr == nil {
		h.info = func(msg string) { el.Info(eventInfo, msg) }
	} else {
		h.info = func(string) {}
	}
	if err := svc.Run(p.Name, h); err != nil {
		fmt.Fprintf(h.stderr, "%s: running as a service: %v\n", p.Name, err)
		return 1
	}
	return h.code
}

// handler is the service's svc.Handler.
type handler struct {
	p              Program
	args           []string
	stdout, stderr io.Writer
	info           func(string)
	code           int
}

func (h *handler) Execute(args []string, r <-chan svc.ChangeRequest, s chan<- svc.Status) (bool, uint32) {
	run := h.args
	if len(args) > 1 {
		run = append(append([]string(nil), run...), args[1:]...) // the arguments of "sc start NAME ..."
	}
	reqs := make(chan Request)
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		for {
			select {
			case c := <-r:
				var req Request
				switch c.Cmd {
				case svc.Interrogate:
					req = Interrogate
				case svc.Stop:
					req = Stop
				case svc.Shutdown:
					req = Shutdown
				case svc.PreShutdown:
					req = PreShutdown
				default:
					req = Other
				}
				select {
				case reqs <- req:
				case <-quit:
					return
				}
			case <-quit:
				return
			}
		}
	}()
	h.info(fmt.Sprintf("%s starting: configuration and arguments %q, log file %s", h.p.Name, run, h.p.LogPath()))
	m := machine{pendingEvery: pendingEvery, report: func(st Status) { s <- toSvc(st) }}
	final := m.serve(reqs, h.p.runner(run, h.stdout, h.stderr))
	h.code = final.ExitCode
	h.info(fmt.Sprintf("%s stopped, exit code %d", h.p.Name, final.ExitCode))
	if final.ExitCode != 0 {
		return true, uint32(final.ExitCode)
	}
	return false, 0
}

func toSvc(st Status) svc.Status {
	out := svc.Status{CheckPoint: st.CheckPoint, WaitHint: uint32(st.WaitHint / time.Millisecond)}
	switch st.State {
	case StartPending:
		out.State = svc.StartPending
	case Running:
		out.State = svc.Running
	case StopPending:
		out.State = svc.StopPending
	default:
		out.State = svc.Stopped
	}
	if st.AcceptStop {
		out.Accepts = svc.AcceptStop | svc.AcceptShutdown | svc.AcceptPreShutdown
	}
	return out
}

// command runs a sub-command against the service control manager.
func (p Program) command(name string, args []string, out io.Writer) error {
	if name != "install" && len(args) > 0 {
		return fmt.Errorf("unexpected argument %q", args[0])
	}
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connecting to the service control manager (run it as an administrator): %w", err)
	}
	defer m.Disconnect()
	switch name {
	case "install":
		return p.install(m, args, out)
	case "uninstall":
		return p.uninstall(m, out)
	case "start":
		return p.start(m, out)
	}
	return p.stop(m, out)
}

func (p Program) install(m *mgr.Mgr, args []string, out io.Writer) error {
	if err := checkInstallArgs(args); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the program's path: %w", err)
	}
	if exe, err = filepath.Abs(exe); err != nil {
		return fmt.Errorf("finding the program's path: %w", err)
	}
	if s, err := m.OpenService(p.Name); err == nil {
		s.Close()
		return fmt.Errorf("service %s is installed already; to upgrade, stop it, replace its program and start it", p.Name)
	}
	s, err := m.CreateService(p.Name, exe, mgr.Config{
		DisplayName: p.DisplayName, Description: p.Description,
		StartType: mgr.StartAutomatic, DelayedAutoStart: true, // after the network and the other services
	}, args...)
	if err != nil {
		return fmt.Errorf("creating service %s: %w", p.Name, err)
	}
	defer s.Close()
	// Restart on failure: a crash, or an exit with a non-zero code.
	if err := s.SetRecoveryActions([]mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: 10 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 30 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 2 * time.Minute},
	}, uint32((24 * time.Hour).Seconds())); err != nil {
		return fmt.Errorf("service %s: setting its restart on failure: %w", p.Name, err)
	}
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return fmt.Errorf("service %s: setting its restart on a failed exit: %w", p.Name, err)
	}
	if err := eventlog.InstallAsEventCreate(p.Name, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil &&
		!errors.Is(err, windows.ERROR_ALREADY_EXISTS) {
		fmt.Fprintf(out, "warning: registering the Event Log source %s: %v\n", p.Name, err)
	}
	if err := os.MkdirAll(filepath.Dir(p.LogPath()), 0o750); err != nil {
		return fmt.Errorf("creating the log directory: %w", err)
	}
	fmt.Fprintf(out, "installed service %s (%s): automatic start, restarted on failure\n", p.Name, exe)
	fmt.Fprintf(out, "configuration: %s\n", p.serviceArgs(args))
	fmt.Fprintf(out, "log: %s and the Application Event Log (source %s)\n", p.LogPath(), p.Name)
	if _, err := os.Stat(p.ConfigPath()); err != nil && len(p.serviceArgs(args)) > len(args) {
		fmt.Fprintf(out, "write the configuration to %s, then run: %s start\n", p.ConfigPath(), p.Name)
	}
	return nil
}

func (p Program) uninstall(m *mgr.Mgr, out io.Writer) error {
	s, err := m.OpenService(p.Name)
	if err != nil {
		return fmt.Errorf("service %s is not installed: %w", p.Name, err)
	}
	defer s.Close()
	if st, err := s.Query(); err == nil && st.State != svc.Stopped {
		if err := stopAndWait(s); err != nil {
			return err
		}
	}
	if err := s.Delete(); err != nil {
		return fmt.Errorf("deleting service %s: %w", p.Name, err)
	}
	if err := eventlog.Remove(p.Name); err != nil {
		fmt.Fprintf(out, "warning: removing the Event Log source %s: %v\n", p.Name, err)
	}
	fmt.Fprintf(out, "uninstalled service %s; the configuration, the state and the logs under %s stay\n", p.Name, p.dir())
	return nil
}

func (p Program) start(m *mgr.Mgr, out io.Writer) error {
	s, err := m.OpenService(p.Name)
	if err != nil {
		return fmt.Errorf("service %s is not installed: %w", p.Name, err)
	}
	defer s.Close()
	if err := s.Start(); err != nil {
		return fmt.Errorf("starting service %s: %w", p.Name, err)
	}
	st, err := waitFor(s, svc.Running, 5*time.Minute)
	if err != nil {
		return err
	}
	if st.State != svc.Running {
		return fmt.Errorf("service %s stopped at once (exit code %d); see %s and the Event Log", p.Name, st.ServiceSpecificExitCode, p.LogPath())
	}
	fmt.Fprintf(out, "service %s is running; log: %s\n", p.Name, p.LogPath())
	return nil
}

func (p Program) stop(m *mgr.Mgr, out io.Writer) error {
	s, err := m.OpenService(p.Name)
	if err != nil {
		return fmt.Errorf("service %s is not installed: %w", p.Name, err)
	}
	defer s.Close()
	if err := stopAndWait(s); err != nil {
		return err
	}
	fmt.Fprintf(out, "service %s stopped\n", p.Name)
	return nil
}

// stopAndWait asks the service to stop and waits until it has: the cycle in
// flight finishes first.
func stopAndWait(s *mgr.Service) error {
	if _, err := s.Control(svc.Stop); err != nil {
		return fmt.Errorf("stopping service %s: %w", s.Name, err)
	}
	st, err := waitFor(s, svc.Stopped, 10*time.Minute)
	if err != nil {
		return err
	}
	if st.State != svc.Stopped {
		return fmt.Errorf("service %s did not stop in 10 minutes", s.Name)
	}
	return nil
}

// waitFor polls the service until it is in state want, or stopped, or the
// timeout passed.
func waitFor(s *mgr.Service, want svc.State, timeout time.Duration) (svc.Status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		st, err := s.Query()
		if err != nil {
			return st, fmt.Errorf("querying service %s: %w", s.Name, err)
		}
		if st.State == want || st.State == svc.Stopped {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, nil
		case <-time.After(300 * time.Millisecond):
		}
	}
}
