// Package sdnotify tells systemd about a service's state, as sd_notify(3)
// does, without libsystemd: a datagram to the Unix socket named by
// $NOTIFY_SOCKET (a path, or an abstract name written with a leading '@').
// A unit of Type=notify waits for READY=1 before it counts the service as
// started; STOPPING=1 says it is shutting down; with WatchdogSec= set,
// systemd restarts a service that does not send WATCHDOG=1 within
// $WATCHDOG_USEC.
//
// Outside systemd (no $NOTIFY_SOCKET) every call does nothing.
package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// The states of sd_notify(3) the runtime sends.
const (
	Ready    = "READY=1"
	Stopping = "STOPPING=1"
	Watchdog = "WATCHDOG=1"
)

// sendTimeout bounds a send.
var sendTimeout = 5 * time.Second

// Notifier sends states to one notification socket.
type Notifier struct {
	socket string
}

// FromEnv is the notifier of $NOTIFY_SOCKET, or nil when it is not set (the
// process does not run under a unit of Type=notify). A nil *Notifier sends
// nothing.
func FromEnv() *Notifier {
	s := os.Getenv("NOTIFY_SOCKET")
	if s == "" {
		return nil
	}
	return &Notifier{socket: s}
}

// New is the notifier of socket, a path or an abstract name starting with '@'.
func New(socket string) *Notifier { return &Notifier{socket: socket} }

// Notify sends the states (such as Ready, or "STATUS=...") in one datagram.
func (n *Notifier) Notify(states ...string) error {
	if n == nil || len(states) == 0 {
		return nil
	}
	name := n.socket
	if name[0] == '@' {
		name = "\x00" + name[1:] // Linux's abstract namespace
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sd_notify: NOTIFY_SOCKET %q: %w", n.socket, err)
	}
	defer conn.Close()
	// A datagram socket whose reader lags blocks the writer: never hang the
	// service on it.
	if err := conn.SetWriteDeadline(time.Now().Add(sendTimeout)); err != nil {
		return fmt.Errorf("sd_notify: NOTIFY_SOCKET %q: %w", n.socket, err)
	}
	var msg []byte
	for i, s := range states {
		if i > 0 {
			msg = append(msg, '\n')
		}
		msg = append(msg, s...)
	}
	if _, err := conn.Write(msg); err != nil {
		return fmt.Errorf("sd_notify: NOTIFY_SOCKET %q: sending %q: %w", n.socket, msg, err)
	}
	return nil
}

// WatchdogInterval is how often the process should send Watchdog: half of
// $WATCHDOG_USEC, as sd_watchdog_enabled(3) advises; false when systemd
// watches nothing, or watches another process ($WATCHDOG_PID).
func WatchdogInterval() (time.Duration, bool, error) {
	us := os.Getenv("WATCHDOG_USEC")
	if us == "" {
		return 0, false, nil
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" {
		p, err := strconv.Atoi(pid)
		if err != nil {
			return 0, false, fmt.Errorf("sd_notify: WATCHDOG_PID %q: not a number", pid)
		}
		if p != os.Getpid() {
			return 0, false, nil
		}
	}
	n, err := strconv.ParseUint(us, 10, 63)
	if err != nil || n == 0 {
		return 0, false, errors.New("sd_notify: WATCHDOG_USEC " + strconv.Quote(us) + ": want a positive number of microseconds")
	}
	return time.Duration(n) * time.Microsecond / 2, true, nil
}
