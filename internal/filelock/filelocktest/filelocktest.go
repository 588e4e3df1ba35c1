// Package filelocktest runs a store's lock holder in another process of the
// test binary, so that tests see what a second daemon on the same files sees:
// a lock held by another process, and taken over when that process dies.
//
// A test package declares one helper test that calls [Serve], and starts it
// with [Start]:
//
//	func TestLockHelperProcess(t *testing.T) {
//		if !filelocktest.Serve(helperEnv, func(path string) error { _, err := Open(path); return err }) {
//			t.Skip("a helper of TestOneProcess")
//		}
//	}
package filelocktest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Serve is the body of the helper test. When the environment variable env is
// unset it returns false (the test is not running as a helper and should
// skip). Otherwise it calls open with the variable's value, prints "locked",
// waits until its standard input closes, and exits without releasing
// anything, as a crashed process would: the operating system lets the lock go.
// An error from open is printed and the process exits 1.
func Serve(env string, open func(value string) error) bool {
	value := os.Getenv(env)
	if value == "" {
		return false
	}
	if err := open(value); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	os.Exit(3)
	return true
}

// Start runs the helper test named test in a process of this test binary,
// with env set to value, and returns once that process holds its lock: its
// pid, and stop, which ends it (closing its standard input) and waits for it.
// stop also runs at the test's cleanup; calling it twice is harmless.
func Start(t testing.TB, test, env, value string) (pid int, stop func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), env+"="+value)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); strings.TrimSpace(line) != "locked" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("lock holder process %s: %q", test, line)
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			_ = stdin.Close()
			_ = cmd.Wait()
		}
	}
	t.Cleanup(stop)
	return cmd.Process.Pid, stop
}
