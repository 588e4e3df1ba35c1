package latency

import (
	"context"
	"testing"
	"time"
)

func TestDrawStaysWithinFixedPlusJitter(t *testing.T) {
	t.Parallel()
	var l Latency
	if d := l.Draw(); d != 0 {
		t.Fatalf("zero Latency draws %v, want 0", d)
	}
	l.Set(30*time.Millisecond, 10*time.Millisecond)
	varied := false
	first := l.Draw()
	for range 200 {
		d := l.Draw()
		if d < 30*time.Millisecond || d > 40*time.Millisecond {
			t.Fatalf("draw %v outside [30ms, 40ms]", d)
		}
		varied = varied || d != first
	}
	if !varied {
		t.Error("200 draws with jitter were all equal")
	}
	l.Set(-time.Second, -time.Second)
	if d := l.Draw(); d != 0 {
		t.Errorf("negative settings draw %v, want 0", d)
	}
}

func TestWaitEndsWithTheContext(t *testing.T) {
	t.Parallel()
	var l Latency
	l.Set(time.Hour, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan bool, 1)
	go func() { done <- l.Wait(ctx) }()
	select {
	case ok := <-done:
		if ok {
			t.Error("Wait reported a full wait on a cancelled context")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait of an hour did not end with its cancelled context")
	}
}
