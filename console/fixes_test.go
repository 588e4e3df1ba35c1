package console

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/hub"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksc"
)

// TestFixOfConsoleAnswersOutsideTheContract: a Business Hub value outside
// the contract and an incomplete KSC read get the same fix in words, which
// says nothing was changed from the answer.
func TestFixOfConsoleAnswersOutsideTheContract(t *testing.T) {
	t.Parallel()
	for _, err := range []error{
		fmt.Errorf("tenant c1: device %q: %w: status %q", "d2", hub.ErrUnexpectedValue, "purple"),
		fmt.Errorf("tenant vs-1: %w", ksc.ErrIncomplete),
	} {
		f, ok := fixOf(err)
		if !ok {
			t.Errorf("%v: no fix", err)
			continue
		}
		if !strings.Contains(f.Text, "nothing was changed") {
			t.Errorf("%v: fix %q", err, f.Text)
		}
	}
}
