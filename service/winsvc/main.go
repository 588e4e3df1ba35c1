package winsvc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/service"
)

// RunFunc is a daemon's main: it runs with args until ctx ends and returns
// its exit code, giving opts to service.New after its own.
type RunFunc func(ctx context.Context, args []string, stdout, stderr io.Writer, opts ...service.Option) int

// Program is a daemon that can be a Windows service.
type Program struct {
	Name        string // the service's name, and the Event Log's source
	DisplayName string // the name the Services console shows
	Description string
	// DataDir is the directory under %ProgramData% of the default
	// configuration (config.json) and of the logs.
	DataDir string
	Run     RunFunc
}

// ErrNotWindows is the error of the sub-commands on other systems.
var ErrNotWindows = errors.New("Windows services exist only on Windows; on Linux, use the systemd unit")

// The sub-commands.
var commands = map[string]bool{"install": true, "uninstall": true, "start": true, "stop": true}

// Log rotation of a service: files of 10 MiB, 5 kept besides the current.
const (
	logMaxSize = 10 << 20
	logKeep    = 5
)

// Main runs the sub-command of args[0] (install, uninstall, start or stop;
// the arguments after install are the service's), or the service itself when
// the service control manager started the process. handled is false when
// args is neither: the caller runs as a console program.
func (p Program) Main(args []string) (code int, handled bool) {
	return p.main(args, os.Stdout, os.Stderr)
}

func (p Program) main(args []string, stdout, stderr io.Writer) (int, bool) {
	if len(args) > 0 && commands[args[0]] {
		if err := p.command(args[0], args[1:], stdout); err != nil {
			fmt.Fprintf(stderr, "%s %s: %v\n", p.Name, args[0], err)
			if errors.Is(err, ErrNotWindows) {
				return 2, true
			}
			return 1, true
		}
		return 0, true
	}
	under, err := isService()
	if err != nil {
		fmt.Fprintf(stderr, "%s: telling whether the service control manager started it: %v\n", p.Name, err)
		return 1, true
	}
	if !under {
		return 0, false
	}
	return p.runService(args), true
}

// dir is the program's data directory, %ProgramData%\DataDir.
func (p Program) dir() string {
	pd := os.Getenv("ProgramData")
	if pd == "" {
		pd = `C:\ProgramData`
	}
	return filepath.Join(pd, p.DataDir)
}

// ConfigPath is the default configuration file of the service.
func (p Program) ConfigPath() string { return filepath.Join(p.dir(), "config.json") }

// LogPath is the service's log file (rotated as LogPath.1 to .5).
func (p Program) LogPath() string { return filepath.Join(p.dir(), "logs", p.Name+".log") }

// serviceArgs are the arguments the service runs with: args, with
// -config ConfigPath first unless they name a configuration (or -demo).
func (p Program) serviceArgs(args []string) []string {
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") && (name == "config" || name == "demo") {
			return args
		}
	}
	return append([]string{"-config", p.ConfigPath()}, args...)
}

// runner is the Runner of the daemon with args: the runtime tells it is
// running through service.WithNotify.
func (p Program) runner(args []string, stdout, stderr io.Writer) Runner {
	return func(ctx context.Context, running func()) int {
		return p.Run(ctx, args, stdout, stderr, service.WithNotify(func(ph service.Phase) {
			if ph == service.Running {
				running()
			}
		}))
	}
}

// checkInstallArgs refuses the arguments of a daemon that would not stay
// running under the service control manager.
func checkInstallArgs(args []string) error {
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (name == "once" || name == "dry-run" || name == "version") {
			return fmt.Errorf("%s: a service runs until stopped; schedule -once or -dry-run as a task instead", a)
		}
	}
	return nil
}

// pendingEvery is how often a pending start or stop reports progress.
const pendingEvery = 5 * time.Second
