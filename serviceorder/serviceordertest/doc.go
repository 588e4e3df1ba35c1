// Package serviceordertest helps test code built on package serviceorder:
//
//   - Run is the conformance suite every serviceorder.Store implementation should
//     pass;
//   - RunDeskScenarios runs the seed's service order scenarios (create with the
//     configured settings, close on clear, locked orders, Office 365 conditions,
//     disabled rules, creation delay, dropped creates, a lost Store) through a
//     Runner over any serviceorder.Desk, such as an adapter over a fake Tigerpaw
//     server;
//   - Desk is an in-memory serviceorder.Desk with Tigerpaw's reference search,
//     order locks and injectable faults; Rules, Lookups, Device and Clock are
//     fixtures.
//
// A Store implementation starts with:
//
//	func TestMyStore(t *testing.T) {
//		serviceordertest.Run(t, func(t *testing.T) serviceorder.Store { return newMyStore(t) })
//	}
package serviceordertest
