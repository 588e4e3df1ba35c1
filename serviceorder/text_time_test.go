package serviceorder

import (
	"testing"
	"time"
)

// TestTimeTextReadsEveryTimeAsFormatted checks that remembering the last time
// never shows another time's text: the same instant in another location or
// with a monotonic clock reading reads the same, any other instant reads as
// itself.
func TestTimeTextReadsEveryTimeAsFormatted(t *testing.T) {
	t.Parallel()
	now := time.Now() // with a monotonic clock reading
	paris := time.FixedZone("CET", 3600)
	times := []time.Time{
		now, now, now.Round(0), now.In(paris), now.Add(time.Second), now.Add(time.Nanosecond),
		time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 13, 0, 0, 0, paris),
		{}, now,
	}
	var tt timeText
	for i, tm := range times {
		want := tm.UTC().Format(timeLayout)
		if got := string(tt.append([]byte("x"), tm)); got != "x"+want {
			t.Errorf("time %d: %q, want %q", i, got, "x"+want)
		}
	}
	tt.reset()
	if tt.set || !tt.t.IsZero() {
		t.Errorf("after reset: %+v, want nothing remembered", tt)
	}
}
