package serviceorder_test

import (
	"errors"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// A Failure names the tenant, action and key it has; a failure of the whole
// cycle (a Store write) has none and must not print empty or placeholder
// parts.
func TestFailureError(t *testing.T) {
	t.Parallel()
	cause := errors.New("disk full")
	for _, tc := range []struct {
		f    serviceorder.Failure
		want string
	}{
		{f: serviceorder.Failure{TenantID: "vs-1", Key: "KTS-ABC", Action: serviceorder.ActionCreate, Err: cause}, want: "tenant vs-1: create KTS-ABC: disk full"},
		{f: serviceorder.Failure{Err: cause}, want: "disk full"},
		{f: serviceorder.Failure{TenantID: "vs-1", Err: cause}, want: "tenant vs-1: disk full"},
	} {
		if got := tc.f.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
		if !errors.Is(tc.f, cause) {
			t.Errorf("%v does not wrap its cause", tc.f)
		}
	}
}
