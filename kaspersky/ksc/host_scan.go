package ksc

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode/utf8"
)

// This file holds the fast reader of FindHosts chunks. A chunk of thousands of
// hosts is the largest response the client reads, and encoding/json spends most
// of its time there on reflection and on the 2-member envelopes of wrapped
// values. hostScanner reads the body in one pass over its bytes instead.
//
// The scanner is exact or silent: it either produces what encoding/json plus the
// wire types (hostItem, flexInt, flexTime) would, or it gives up and the body
// is decoded the general way. It gives up on anything outside the shapes servers
// send: a host field, pChunk or its array named twice, case-folded names, escapes in names, wrapped pChunk,
// unusual envelopes, numbers beyond 18 digits, datetimes in any layout but
// KSC's own, and all malformed JSON. It also gives up on every answer the
// general path refuses as incomplete (a missing or null pChunk or array, a
// null element, an element without KLHST_WKS_HOSTNAME, more than
// maxAnswerItems elements), so that the general path names the fault. It never
// errs itself, so every error a caller sees comes from the general path.

// scannedChunk is a FindHosts chunk read by hostScanner.
type scannedChunk struct {
	items []hostWire
}

// scanBody reads body into r when it can do so exactly; see hostScanner. It
// leaves r untouched and reports false otherwise.
func (r *hostChunkResponse) scanBody(body []byte) bool {
	s := hostScanner{b: body}
	ch, ok := s.response()
	if !ok {
		return false
	}
	r.scanned = ch
	return true
}

// maxScanDepth is the nesting past which the scanner leaves a body to
// encoding/json (which has its own, larger limit).
const maxScanDepth = 256

// maxInterned bounds the distinct values the scanner shares per body.
const maxInterned = 64

// hostScanner reads the bytes b from position i. Every method reports false
// when it meets something it does not read exactly as encoding/json would.
type hostScanner struct {
	b      []byte
	i      int
	intern map[string]string
	// seen are the member bits of the item and of its wrapped value being
	// read (see scanItem): kept here, since a local handed to a scanFields
	// func would escape and cost an allocation per item.
	seen [2]uint
}

var (
	hostFields = [...][]byte{
		[]byte("KLHST_WKS_HOSTNAME"), []byte("KLHST_WKS_DN"), []byte("KLHST_WKS_OS_NAME"), []byte("KLHST_WKS_CTYPE"),
		[]byte("KLHST_WKS_STATUS_ID"), []byte("KLHST_WKS_STATUS_MASK"), []byte("KLHST_WKS_STATUS"), []byte("KLHST_WKS_LAST_VISIBLE"),
	}
	envelopeFields = [...][]byte{[]byte("type"), []byte("value")}
	chunkFields    = [...][]byte{[]byte("KLCSP_ITERATOR_ARRAY"), []byte("type"), []byte("value")}
	responseFields = [...][]byte{[]byte("pChunk")}
)

// foldsTo reports whether encoding/json would match key to one of names. Keys
// are ASCII here (see hostScanner.key), so ASCII case folding is all there is.
func foldsTo(key []byte, names [][]byte) bool {
	for _, n := range names {
		if bytes.EqualFold(key, n) {
			return true
		}
	}
	return false
}

func (s *hostScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips white space and returns the next byte, or 0 at the end.
func (s *hostScanner) next() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// byte consumes c after optional white space.
func (s *hostScanner) byte(c byte) bool {
	if s.next() != c {
		return false
	}
	s.i++
	return true
}

func (s *hostScanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return false
	}
	s.i += len(lit)
	return true
}

// response reads {"pChunk": {"KLCSP_ITERATOR_ARRAY": [...]}, ...} followed by
// nothing but white space.
func (s *hostScanner) response() (*scannedChunk, bool) {
	ch := &scannedChunk{}
	if !s.byte('{') {
		return nil, false
	}
	seen := false
	for first := true; ; first = false {
		key, more, ok := s.member(first)
		if !ok {
			return nil, false
		}
		if !more {
			break
		}
		switch {
		case string(key) == "pChunk" && !seen:
			seen = true
			if !s.chunk(ch) {
				return nil, false
			}
		case foldsTo(key, responseFields[:]) || !s.skip(1):
			return nil, false
		}
	}
	if !seen {
		return nil, false
	}
	if s.ws(); s.i != len(s.b) {
		return nil, false
	}
	if ch.items == nil {
		ch.items = []hostWire{} // empty, not nil, as the general path has it
	}
	return ch, true
}

// member moves to the next member of an object whose '{' is consumed: it reads
// the separator before it (none when first), then its name and colon. more is
// false at the closing '}'.
func (s *hostScanner) member(first bool) (key []byte, more, ok bool) {
	switch c := s.next(); {
	case c == '}':
		s.i++
		return nil, false, true
	case first:
	case c == ',':
		s.i++
	default:
		return nil, false, false
	}
	key, ok = s.key()
	return key, true, ok && s.byte(':')
}

// key reads a member name; names with escapes or non-ASCII bytes are left to
// encoding/json, which may fold them onto a field.
func (s *hostScanner) key() ([]byte, bool) {
	if s.next() != '"' {
		return nil, false
	}
	s.i++
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], true
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return nil, false
		}
		s.i++
	}
	return nil, false
}

// chunk reads the pChunk object; a wrapped pChunk is left to encoding/json.
func (s *hostScanner) chunk(ch *scannedChunk) bool {
	return scanItemsObject(s, &ch.items, (*hostScanner).hostField, func(w *hostWire) bool { return w.Hostname != "" }, chunkFields[:])
}

// scanItemsObject reads an object whose one KLCSP_ITERATOR_ARRAY member holds
// the items (pChunk, pData) into dst. Any other member whose name matches one
// of folded in any case (a second array, another spelling of it, a wrapper's
// "type" or "value") is refused, leaving the answer to encoding/json; other
// members are skipped.
func scanItemsObject[W any](s *hostScanner, dst *[]W, field scanFields[W], hasID func(*W) bool, folded [][]byte) bool {
	if !s.byte('{') {
		return false
	}
	seen := false
	for first := true; ; first = false {
		key, more, ok := s.member(first)
		if !ok || !more {
			return ok && seen
		}
		switch {
		case string(key) == "KLCSP_ITERATOR_ARRAY" && !seen:
			seen = true
			if !scanArray(s, dst, field, hasID) {
				return false
			}
		case foldsTo(key, folded) || !s.skip(2):
			return false
		}
	}
}

// scanFields reads member key of an object of wire type W into w, skipping
// members that are not W's fields; seen holds the bits of the members read
// (a member given twice is refused).
type scanFields[W any] func(s *hostScanner, w *W, key []byte, seen *uint) bool

// scanArray reads a JSON array of items of wire type W, each wrapped
// ({"type":"params","value":{...}}) or bare, appending them to *dst. It gives
// up (false) on anything outside the shapes servers send: a null element, an
// item without its identity (hasID), more than maxAnswerItems; the general
// path then names the fault. Hosts and key hosts share it.
func scanArray[W any](s *hostScanner, dst *[]W, field scanFields[W], hasID func(*W) bool) bool {
	if !s.byte('[') {
		return false
	}
	if s.next() == ']' {
		s.i++
		return true
	}
	var zero W
	for n := 1; ; n++ {
		if s.next() != '{' || n > maxAnswerItems {
			return false // null elements and the like are for the general path to name
		}
		start := s.i
		s.i++
		// The item is read into two slots at the end of the slice (its bare
		// members and its wrapped value), so that nothing is allocated per
		// item: a local handed to field would escape.
		if *dst == nil {
			var first [2]W
			if !scanItem(s, field, &first[0], &first[1]) || !hasID(&first[0]) {
				return false
			}
			*dst = make([]W, 1, 1+estimateHosts(s.i-start, len(s.b)-s.i))
			(*dst)[0] = first[0]
		} else {
			at := len(*dst)
			*dst = append(*dst, zero, zero)
			ok := scanItem(s, field, &(*dst)[at], &(*dst)[at+1])
			*dst = (*dst)[:at+1]
			if !ok || !hasID(&(*dst)[at]) {
				return false
			}
		}
		switch s.next() {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

// minHostBytes is the least room estimateHosts allows per host, which bounds
// the slice a body can make it reserve to about twice the body's size.
const minHostBytes = 64

// estimateHosts guesses how many hosts a chunk holds from the length of its
// first host and the bytes after it: hosts in one chunk carry the same
// attributes and are much the same length.
func estimateHosts(first, rest int) int {
	return 1 + rest/max(first+1, minHostBytes)
}

// Bits of the members seen in an item or host object.
const (
	seenType = 1 << (8 + iota)
	seenValue
)

// scanItem reads one array item whose '{' is consumed into *item: a wrapped
// item ({"type":"params","value":{...}}) is its value, a bare one its own
// members, as the general path's item types read them. value is scratch
// space for the wrapped value; both must be zero.
func scanItem[W any](s *hostScanner, field scanFields[W], item, value *W) bool {
	seen := &s.seen[0]
	*seen = 0
	wrapped := false
	for first := true; ; first = false {
		key, more, ok := s.member(first)
		if !ok {
			return false
		}
		if !more {
			break
		}
		switch string(key) {
		case "type":
			raw, ok := s.plainString()
			if !ok || *seen&seenType != 0 {
				return false
			}
			*seen |= seenType
			wrapped = string(raw) == tagParams
		case "value":
			// A null value is a null element: the general path's to name.
			if *seen&seenValue != 0 || !s.byte('{') || !scanObject(s, value, field) {
				return false
			}
			*seen |= seenValue
		default:
			if foldsTo(key, envelopeFields[:]) || !field(s, item, key, seen) {
				return false
			}
		}
	}
	if wrapped {
		*item = *value
		return *seen&seenValue != 0
	}
	return true
}

// scanObject reads an object of wire type W whose '{' is consumed.
func scanObject[W any](s *hostScanner, w *W, field scanFields[W]) bool {
	seen := &s.seen[1]
	*seen = 0
	for first := true; ; first = false {
		key, more, ok := s.member(first)
		if !ok || !more {
			return ok
		}
		if !field(s, w, key, seen) {
			return false
		}
	}
}

// hostField reads the value of member key of a host object into w, skipping
// members that are not host fields.
func (s *hostScanner) hostField(w *hostWire, key []byte, seen *uint) bool {
	var f int
	switch string(key) {
	case "KLHST_WKS_HOSTNAME":
		f = 0
	case "KLHST_WKS_DN":
		f = 1
	case "KLHST_WKS_OS_NAME":
		f = 2
	case "KLHST_WKS_CTYPE":
		f = 3
	case "KLHST_WKS_STATUS_ID":
		f = 4
	case "KLHST_WKS_STATUS_MASK":
		f = 5
	case "KLHST_WKS_STATUS":
		f = 6
	case "KLHST_WKS_LAST_VISIBLE":
		f = 7
	default:
		return !foldsTo(key, hostFields[:]) && s.skip(4)
	}
	if *seen&(1<<f) != 0 {
		return false
	}
	*seen |= 1 << f
	switch f {
	case 0:
		return s.stringField(&w.Hostname, false)
	case 1:
		return s.stringField(&w.DN, false)
	case 2:
		return s.stringField(&w.OSName, true)
	case 3:
		return s.intField(&w.CType)
	case 4:
		return s.intField(&w.StatusID)
	case 5:
		return s.intField(&w.StatusMask)
	case 6:
		return s.intField(&w.Status)
	default:
		return s.timeField(&w.LastVisible)
	}
}

// stringField reads a string member; null leaves dst as it is, as
// encoding/json does. Shared values (operating system names) are interned.
func (s *hostScanner) stringField(dst *string, shared bool) bool {
	switch s.next() {
	case 'n':
		return s.literal("null")
	case '"':
	default:
		return false
	}
	start := s.i
	raw, plain, ok := s.stringToken()
	if !ok {
		return false
	}
	switch {
	case !plain:
		// Escapes or bytes that are not UTF-8: encoding/json's own unquoting.
		var v string
		if json.Unmarshal(s.b[start:s.i], &v) != nil {
			return false
		}
		*dst = v
	case shared:
		*dst = s.shared(raw)
	default:
		*dst = string(raw)
	}
	return true
}

func (s *hostScanner) shared(raw []byte) string {
	if v, ok := s.intern[string(raw)]; ok {
		return v
	}
	v := string(raw)
	if s.intern == nil {
		s.intern = make(map[string]string)
	}
	if len(s.intern) < maxInterned {
		s.intern[v] = v
	}
	return v
}

// stringToken reads a JSON string at '"' and returns its contents; plain is
// true when they are the decoded string as they stand (no escapes, valid UTF-8).
func (s *hostScanner) stringToken() (raw []byte, plain, ok bool) {
	s.i++
	start := s.i
	plain = true
	ascii := true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw = s.b[start:s.i]
			s.i++
			if !ascii && plain && !utf8.Valid(raw) {
				plain = false
			}
			return raw, plain, true
		case c == '\\':
			plain = false
			if !s.escape() {
				return nil, false, false
			}
			continue
		case c < 0x20:
			return nil, false, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		s.i++
	}
	return nil, false, false
}

// escape checks the escape sequence at '\\' and moves past it.
func (s *hostScanner) escape() bool {
	if s.i+1 >= len(s.b) {
		return false
	}
	switch s.b[s.i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.i += 2
		return true
	case 'u':
		if s.i+6 > len(s.b) {
			return false
		}
		for _, h := range s.b[s.i+2 : s.i+6] {
			if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
				return false
			}
		}
		s.i += 6
		return true
	}
	return false
}

// plainString reads a string value without escapes.
func (s *hostScanner) plainString() ([]byte, bool) {
	if s.next() != '"' {
		return nil, false
	}
	raw, plain, ok := s.stringToken()
	return raw, ok && plain
}

// intField reads what flexInt accepts in the shapes servers send: a plain
// integer, null, or a {"type":"long"|"int","value":N} envelope.
func (s *hostScanner) intField(dst *flexInt) bool {
	switch c := s.next(); {
	case c == 'n':
		*dst = flexInt{}
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		n, ok := s.integer()
		*dst = flexInt{v: n, ok: true}
		return ok
	case c == '{':
		tag, ok := s.envelope()
		if !ok || string(tag) != tagLong && string(tag) != "int" {
			return false
		}
		if c := s.next(); c != '-' && (c < '0' || c > '9') {
			return false
		}
		n, ok := s.integer()
		*dst = flexInt{v: n, ok: true}
		return ok && s.byte('}')
	}
	return false
}

// envelope reads the start of a wrapped value, {"type":"T","value": (in
// this order, the order servers use) and returns T; the value follows.
func (s *hostScanner) envelope() ([]byte, bool) {
	s.i++
	if k, ok := s.key(); !ok || string(k) != "type" || !s.byte(':') {
		return nil, false
	}
	tag, ok := s.plainString()
	if !ok || !s.byte(',') {
		return nil, false
	}
	if k, ok := s.key(); !ok || string(k) != "value" || !s.byte(':') {
		return nil, false
	}
	return tag, true
}

// integer reads a JSON integer of at most 18 digits (which cannot overflow).
// Fractions, exponents and longer numbers are left to the general path.
func (s *hostScanner) integer() (int64, bool) {
	neg := s.b[s.i] == '-'
	if neg {
		s.i++
	}
	start := s.i
	var n int64
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		n = n*10 + int64(s.b[s.i]-'0')
		s.i++
	}
	digits := s.i - start
	if digits == 0 || digits > 18 || digits > 1 && s.b[start] == '0' {
		return 0, false
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	if neg {
		n = -n
	}
	return n, true
}

// timeField reads what flexTime accepts in the shapes servers send: null, a
// plain or {"type":"datetime","value":...} wrapped string that is "" or
// YYYY-MM-DDTHH:MM:SSZ.
func (s *hostScanner) timeField(dst *flexTime) bool {
	wrapped := false
	switch s.next() {
	case 'n':
		dst.t = time.Time{}
		return s.literal("null")
	case '{':
		tag, ok := s.envelope()
		if !ok || string(tag) != tagDateTime {
			return false
		}
		wrapped = true
	}
	raw, ok := s.plainString()
	if !ok {
		return false
	}
	t, ok := scanDateTime(raw)
	if !ok {
		return false
	}
	dst.t = t
	return !wrapped || s.byte('}')
}

// scanDateTime parses "" or exactly YYYY-MM-DDTHH:MM:SSZ as parseDateTime
// does, without allocating; false for anything else, valid or not.
func scanDateTime(b []byte) (time.Time, bool) {
	if len(b) == 0 {
		return time.Time{}, true
	}
	if len(b) != 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[19] != 'Z' {
		return time.Time{}, false
	}
	num := func(from, to int) int {
		n := 0
		for _, c := range b[from:to] {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec := num(11, 13), num(14, 16), num(17, 19)
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day { // the 31st of a 30-day month and the like
		return time.Time{}, false
	}
	return t, true
}

// skip moves past one JSON value of any kind, checking its syntax.
func (s *hostScanner) skip(depth int) bool {
	if depth > maxScanDepth {
		return false
	}
	switch c := s.next(); {
	case c == '"':
		_, _, ok := s.stringToken()
		return ok
	case c == '{':
		s.i++
		for first := true; ; first = false {
			_, more, ok := s.member(first)
			if !ok || !more {
				return ok
			}
			if !s.skip(depth + 1) {
				return false
			}
		}
	case c == '[':
		s.i++
		if s.next() == ']' {
			s.i++
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			switch s.next() {
			case ',':
				s.i++
			case ']':
				s.i++
				return true
			default:
				return false
			}
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return false
}

// number moves past a JSON number, checking its syntax.
func (s *hostScanner) number() bool {
	if s.b[s.i] == '-' {
		s.i++
	}
	digits := func() int {
		start := s.i
		for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
			s.i++
		}
		return s.i - start
	}
	start := s.i
	if n := digits(); n == 0 || n > 1 && s.b[start] == '0' {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}
