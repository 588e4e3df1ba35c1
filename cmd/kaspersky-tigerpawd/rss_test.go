package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/tigerpaw/tigerpawtest"
)

// rss turns on TestDaemonPeakRSSOnHugeChargeLists, a measurement that builds
// the daemon, runs it several times under /usr/bin/time and takes a minute:
//
//	go test ./cmd/kaspersky-tigerpawd -run TestDaemonPeakRSS -rss -v
//
// KT_RSS=1 in the environment turns it on too. It never runs by default.
var rss = flag.Bool("rss", false, "measure the daemon's peak RSS on huge malformed Tigerpaw answers")

// TestDaemonPeakRSSOnHugeChargeLists runs `daemon -config … -once` against the
// fakes while every charge list answer is replaced by a huge malformed body
// under the client's 32 MB cap (10 MB of [0,0,…], 30 MB of [{},…]), and logs
// the daemon's peak resident set size as /usr/bin/time -v reports it, three
// runs per body and their median. The figures are logged, not asserted: a
// memory figure depends on the machine. What is asserted is that the run
// read the charge lists and wrote no charge.
func TestDaemonPeakRSSOnHugeChargeLists(t *testing.T) {
	if !*rss && os.Getenv("KT_RSS") == "" {
		t.Skip("a measurement: run with -rss (or KT_RSS=1)")
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		t.Skip("/usr/bin/time is missing (apt-get install time)")
	}
	for _, tc := range []struct {
		name string
		elem string
		size int
	}{
		{"zeros-10MB", "0", 10 << 20},
		{"empty-objects-30MB", "{}", 30 << 20},
		{"baseline", "", 0}, // the real answers, for comparison
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newE2EWorld(t)
			var body string
			if tc.size > 0 {
				body = string(repeatList(tc.elem, tc.size))
			}
			var peaks []int
			for run := range 3 {
				before := len(w.tp.Srv.Charges(w.tp.Agreement[0])) + len(w.tp.Srv.Charges(w.tp.Agreement[1]))
				w.tp.Srv.ClearFaults()
				w.tp.Srv.ResetCounts()
				if body != "" {
					w.tp.Srv.FailNext("GET", "/api/agreements/{n}/additionalcharges", 1000, tigerpawtest.Fault{Status: 200, Body: body})
				}
				cmd := exec.Command("/usr/bin/time", "-v", w.bin, "-config", w.config, "-once")
				cmd.Env = w.env
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				err := cmd.Run() // the exit code is not what is measured
				kb, perr := maxRSS(out.Bytes())
				if perr != nil {
					t.Fatalf("run %d: %v (exit: %v)\n%s", run, perr, err, tail(out.Bytes(), 4000))
				}
				peaks = append(peaks, kb)
				t.Logf("run %d: peak RSS %d KB (%.1f MB), %d charge list reads, exit %v", run, kb, float64(kb)/1024, w.tp.Srv.Count("GET", "/api/agreements/{n}/additionalcharges"), err)
				if body != "" {
					if n := w.tp.Srv.Count("GET", "/api/agreements/{n}/additionalcharges"); n == 0 {
						t.Errorf("run %d read no charge list:\n%s", run, tail(out.Bytes(), 4000))
					}
					after := len(w.tp.Srv.Charges(w.tp.Agreement[0])) + len(w.tp.Srv.Charges(w.tp.Agreement[1]))
					if after != before {
						t.Errorf("run %d: charges %d → %d on a malformed charge list", run, before, after)
					}
				}
			}
			slices.Sort(peaks)
			t.Logf("%s: median peak RSS %d KB (%.1f MB) of %v KB", tc.name, peaks[1], float64(peaks[1])/1024, peaks)
		})
	}
}

var maxRSSLine = regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`)

// maxRSS reads the peak RSS in KB from the output of /usr/bin/time -v.
func maxRSS(out []byte) (int, error) {
	m := maxRSSLine.FindSubmatch(out)
	if m == nil {
		return 0, strconv.ErrSyntax
	}
	return strconv.Atoi(string(m[1]))
}

// repeatList builds a JSON array of elem repeated up to about size bytes.
func repeatList(elem string, size int) []byte {
	n := size / (len(elem) + 1)
	b := make([]byte, 0, size+2)
	b = append(b, '[')
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, elem...)
	}
	return append(b, ']')
}

// tail returns the last n bytes of b.
func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
