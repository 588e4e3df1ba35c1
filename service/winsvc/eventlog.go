package winsvc

import (
	"bytes"
	"strings"
	"sync"
)

// Level is how a log line goes to the Event Log.
type Level int

const (
	LevelSkip Level = iota // debug and info lines stay in the log file
	LevelWarning
	LevelError
)

// lineLevel reads the level slog's text or JSON handler wrote at the start
// of line (before its message).
func lineLevel(line string) Level {
	head := line
	if i := strings.Index(head, "msg"); i >= 0 {
		head = head[:i]
	}
	switch {
	case strings.Contains(head, "level=ERROR"), strings.Contains(head, `"level":"ERROR`):
		return LevelError
	case strings.Contains(head, "level=WARN"), strings.Contains(head, `"level":"WARN`):
		return LevelWarning
	}
	return LevelSkip
}

// eventWriter splits what it is written into lines and gives the warnings
// and the errors to emit; plain output (a flag error) counts as an error.
type eventWriter struct {
	emit func(Level, string)
	mu   sync.Mutex
	buf  []byte
}

func (w *eventWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		lvl := lineLevel(line)
		if lvl == LevelSkip && !strings.Contains(line, "level") && strings.TrimSpace(line) != "" {
			lvl = LevelError // not a log line: the daemon's own complaint
		}
		if lvl != LevelSkip {
			w.emit(lvl, line)
		}
	}
}
