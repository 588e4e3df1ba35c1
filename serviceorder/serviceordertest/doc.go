// Package serviceordertest helps test code built on package serviceorder: Run is
// the conformance suite every serviceorder.Store implementation should pass, and
// Desk is an in-memory serviceorder.Desk with Tigerpaw's reference search, order
// locks and injectable faults.
//
// A Store implementation starts with:
//
//	func TestMyStore(t *testing.T) {
//		serviceordertest.Run(t, func(t *testing.T) serviceorder.Store { return newMyStore(t) })
//	}
package serviceordertest
