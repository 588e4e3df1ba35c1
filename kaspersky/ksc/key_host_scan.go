package ksc

// This file holds the fast reader of the GroupSyncIterator pages of
// LicenseKeys.AcquireKeyHosts (the hosts of a license key), on the scanner of
// host_scan.go. Like it, it is exact or silent: it produces what encoding/json
// plus the wire types (nextItemsOut, itemArray, item, keyHostWire, flexBool)
// would, or gives up and the body is decoded the general way. It gives up on
// anything outside the shapes servers send: a member named twice, case-folded
// names, escapes in names, a wrapped pData, unusual envelopes and all
// malformed JSON; and on every answer the general path refuses as incomplete
// (a missing or null pData, array or bEOF, a null element, an element without
// KLLICSRV_HOSTNAME, more than maxAnswerItems elements), so that the general
// path names the fault.

var (
	keyHostFieldNames = [...][]byte{[]byte("KLLICSRV_HOSTNAME"), []byte("KLLICSRV_HOST_CURRENT"), []byte("KLLICSRV_PRODUCT")}
	nextItemsFields   = [...][]byte{[]byte("pData"), []byte("bEOF")}
	pDataFields       = [...][]byte{[]byte("KLCSP_ITERATOR_ARRAY"), []byte("KLEVP_EVENT_RANGE_ARRAY"), []byte("type"), []byte("value")}
)

// scannedPage is a GroupSyncIterator page read by the scanner.
type scannedPage[T any] struct {
	items []T
	eof   bool
}

// scanBody reads body into o when it is a page of key hosts the scanner reads
// exactly; it leaves o untouched and reports false otherwise (and for pages of
// other items, which have no fast path).
func (o *nextItemsOut[T]) scanBody(body []byte) bool {
	p, ok := any(o).(*nextItemsOut[keyHostWire])
	if !ok {
		return false
	}
	s := hostScanner{b: body}
	page, ok := s.keyHostPage()
	if !ok {
		return false
	}
	p.scanned = page
	return true
}

// keyHostPage reads {"pData": {"KLCSP_ITERATOR_ARRAY": [...]}, "bEOF": b, ...}
// followed by nothing but white space.
func (s *hostScanner) keyHostPage() (*scannedPage[keyHostWire], bool) {
	if !s.byte('{') {
		return nil, false
	}
	page := &scannedPage[keyHostWire]{}
	var seenData, seenEOF bool
	for first := true; ; first = false {
		key, more, ok := s.member(first)
		if !ok {
			return nil, false
		}
		if !more {
			break
		}
		switch {
		case string(key) == "pData" && !seenData:
			seenData = true
			if !s.keyHostData(page) {
				return nil, false
			}
		case string(key) == "bEOF" && !seenEOF:
			seenEOF = true
			var eof flexInt
			if !s.boolField(&eof) || !eof.ok {
				return nil, false // a null bEOF is for the general path to name
			}
			page.eof = eof.v != 0
		case foldsTo(key, nextItemsFields[:]) || !s.skip(1):
			return nil, false
		}
	}
	if !seenData || !seenEOF {
		return nil, false
	}
	if s.ws(); s.i != len(s.b) {
		return nil, false
	}
	if page.items == nil {
		page.items = []keyHostWire{} // empty, not nil, as the general path has it
	}
	return page, true
}

// keyHostData reads the pData object; a wrapped one is left to encoding/json.
func (s *hostScanner) keyHostData(page *scannedPage[keyHostWire]) bool {
	return scanItemsObject(s, &page.items, (*hostScanner).keyHostField, func(w *keyHostWire) bool { return w.Host != "" }, pDataFields[:])
}

// keyHostField reads the value of member key of a key-host object into w,
// skipping members that are not key-host fields.
func (s *hostScanner) keyHostField(w *keyHostWire, key []byte, seen *uint) bool {
	var f int
	switch string(key) {
	case "KLLICSRV_HOSTNAME":
		f = 0
	case "KLLICSRV_HOST_CURRENT":
		f = 1
	case "KLLICSRV_PRODUCT":
		f = 2
	default:
		return !foldsTo(key, keyHostFieldNames[:]) && s.skip(4)
	}
	if *seen&(1<<f) != 0 {
		return false
	}
	*seen |= 1 << f
	switch f {
	case 0:
		return s.stringField(&w.Host, false)
	case 1:
		var n flexInt
		if !s.boolField(&n) {
			return false
		}
		w.Current = flexBool{v: n.v != 0, ok: n.ok}
		return true
	default:
		return s.stringField(&w.Product, true)
	}
}

// boolField reads what flexBool accepts in the shapes servers send: true,
// false, or what intField reads.
func (s *hostScanner) boolField(dst *flexInt) bool {
	switch s.next() {
	case 't':
		*dst = flexInt{v: 1, ok: true}
		return s.literal("true")
	case 'f':
		*dst = flexInt{ok: true}
		return s.literal("false")
	}
	return s.intField(dst)
}
