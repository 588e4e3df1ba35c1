package retry

import (
	"context"
	"testing"
)

func TestAttemptOf(t *testing.T) {
	ctx := context.Background()
	if got := AttemptOf(ctx); got != 0 {
		t.Fatalf("AttemptOf(unmarked) = %d, want 0", got)
	}
	ctx2 := WithAttempt(ctx, 1)
	ctx3 := WithAttempt(ctx2, 3)
	if got := AttemptOf(ctx2); got != 1 {
		t.Errorf("AttemptOf(1) = %d", got)
	}
	if got := AttemptOf(ctx3); got != 3 {
		t.Errorf("AttemptOf(3) = %d; the inner mark must win", got)
	}
}
