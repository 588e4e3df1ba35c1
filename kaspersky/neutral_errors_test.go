package kaspersky_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hub"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksc"
)

// Each client's sentinels match the neutral ones, so the jobs can tell a
// refused password and an incomplete read apart whatever the console.
func TestClientSentinelsMatchNeutralOnes(t *testing.T) {
	for _, tt := range []struct {
		name    string
		err     error
		neutral error
	}{
		{"ksc unauthorized", ksc.ErrUnauthorized, kaspersky.ErrUnauthorized},
		{"ksc incomplete", ksc.ErrIncomplete, kaspersky.ErrIncomplete},
		{"hub unauthorized", hub.ErrUnauthorized, kaspersky.ErrUnauthorized},
		{"hub incomplete", hub.ErrIncomplete, kaspersky.ErrIncomplete},
		{"hub unexpected value", hub.ErrUnexpectedValue, kaspersky.ErrIncomplete},
	} {
		wrapped := fmt.Errorf("tenant x: %w", tt.err)
		if !errors.Is(wrapped, tt.neutral) {
			t.Errorf("%s: %v does not match %v", tt.name, wrapped, tt.neutral)
		}
		other := kaspersky.ErrIncomplete
		if tt.neutral == kaspersky.ErrIncomplete {
			other = kaspersky.ErrUnauthorized
		}
		if errors.Is(wrapped, other) {
			t.Errorf("%s: %v matches %v too", tt.name, wrapped, other)
		}
	}
	if !errors.Is(hub.ErrIncomplete, hub.ErrBadResponse) {
		t.Error("hub.ErrIncomplete no longer matches hub.ErrBadResponse")
	}
}
