// Package mappingtest helps test code that uses package mapping: [Run] is the
// conformance suite every [mapping.Store] implementation should pass, and
// [Directory] is an in-memory [mapping.Directory] (a small Tigerpaw) with fault
// injection.
//
//	func TestMyStore(t *testing.T) {
//		mappingtest.Run(t, func(t *testing.T) mapping.Store { return newMyStore(t) })
//	}
package mappingtest
