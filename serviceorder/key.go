package serviceorder

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// Key is the stable key of a service order the engine opens. It is written into
// the order's Reference field in Tigerpaw so that the order can be found again
// after a crash or with the Store lost. A key is [KeyLen] characters of upper-case
// letters, digits and one hyphen: short enough for any Reference column and
// unaffected by a case-insensitive search.
type Key string

// KeyLen is the length of every [Key].
const KeyLen = len(keyPrefix) + 2 + keyHashLen

const (
	keyPrefix  = "KT"
	keyHashLen = 22 // 110 bits of SHA-256, base32
)

// Kind is what a service order is about.
type Kind int

// The kinds of order.
const (
	// KindStatus is an order for a status description holding on a device. It
	// closes when the description no longer holds at an enabled level.
	KindStatus Kind = iota + 1
	// KindEvent is an order for one event. It stays open for a person to close.
	KindEvent
	// KindCondition is an order for an Office 365 condition ("mailboxes protection
	// is not provided", "license-related issue occurred"). It closes when the
	// condition ends.
	KindCondition
	// KindGroup is an order for repeats of one event type on one device under
	// a grouped rule: later repeats add notes to it while it is open. It stays
	// open for a person to close.
	KindGroup
	// KindSummary is the flood guard's order listing what a cycle did not open
	// for a tenant. It stays open for a person to close.
	KindSummary
	// KindLicense is an order for a license condition (expiring, over-used). It
	// closes when the condition ends.
	KindLicense
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindStatus:
		return "status"
	case KindEvent:
		return "event"
	case KindCondition:
		return "condition"
	case KindGroup:
		return "group"
	case KindSummary:
		return "summary"
	case KindLicense:
		return "license"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// letter is the kind's letter in a key.
func (k Kind) letter() byte {
	switch k {
	case KindStatus:
		return 'S'
	case KindEvent:
		return 'E'
	case KindGroup:
		return 'G'
	case KindSummary:
		return 'F'
	case KindLicense:
		return 'L'
	}
	return 'C'
}

// level reports whether orders of the kind mirror a state (status, condition):
// only an open order with the key counts as existing, and a closed one may be
// followed by a new one with the same key. An event order, open or closed, is
// created once. A group order is level too: once closed, a repeat opens a
// new order with the same key. A summary is created once, like an event
// order.
func (k Kind) level() bool { return k != KindEvent && k != KindSummary }

var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// rawKey is a [Key] held in an array, so that Evaluate can compute keys,
// compare them and use them in maps without allocating; rawKey.key makes the
// Key when an action needs one.
type rawKey [KeyLen]byte

// key returns k as a Key.
func (k *rawKey) key() Key { return Key(k[:]) }

// setRawKey sets *dst to the key of parts.
func setRawKey(dst *rawKey, kind Kind, parts ...string) {
	// Length-prefixed parts, so that ("ab", "c") and ("a", "bc") differ.
	var stack [256]byte
	buf := append(stack[:0], kind.letter())
	for _, p := range parts {
		buf = binary.AppendUvarint(buf, uint64(len(p)))
		buf = append(buf, p...)
	}
	sum := sha256.Sum256(buf)
	n := copy(dst[:], keyPrefix)
	dst[n] = kind.letter()
	dst[n+1] = '-'
	// Base32 turns each 5 bytes into 8 characters on its own, so the first
	// keyHashLen characters of the whole sum's encoding are those of its first
	// keyHashBytes bytes.
	var enc [keyHashBytes / 5 * 8]byte
	keyEncoding.Encode(enc[:], sum[:keyHashBytes])
	copy(dst[n+2:], enc[:keyHashLen])
}

// keyHashBytes is the whole number of 5-byte base32 blocks of the sum that
// hold the keyHashLen characters of a key.
const keyHashBytes = (keyHashLen*5 + 39) / 40 * 5

// statusRawKey sets *dst to [StatusKey] (tenantID, deviceID, code).
func statusRawKey(dst *rawKey, tenantID, deviceID string, code kaspersky.StatusCode) {
	setRawKey(dst, KindStatus, tenantID, deviceID, string(code))
}

// eventRawKey sets *dst to [EventKey] (tenantID, origin, eventID).
func eventRawKey(dst *rawKey, tenantID string, origin kaspersky.Origin, eventID string) {
	var num [20]byte
	setRawKey(dst, KindEvent, tenantID, string(strconv.AppendInt(num[:0], int64(origin), 10)), eventID)
}

// conditionRawKey sets *dst to [ConditionKey] (tenantID, t).
func conditionRawKey(dst *rawKey, tenantID string, t kaspersky.Office365EventType) {
	setRawKey(dst, KindCondition, tenantID, string(t))
}

// StatusKey returns the key of the order for status description code holding on
// a device of a tenant. The level is not part of the key: one order covers the
// description whether it holds at Warning or Critical.
func StatusKey(tenantID, deviceID string, code kaspersky.StatusCode) Key {
	var k rawKey
	statusRawKey(&k, tenantID, deviceID, code)
	return k.key()
}

// EventKey returns the key of the order for an event of a tenant.
func EventKey(tenantID string, origin kaspersky.Origin, eventID string) Key {
	var k rawKey
	eventRawKey(&k, tenantID, origin, eventID)
	return k.key()
}

// ConditionKey returns the key of the order for an Office 365 condition of a
// tenant.
func ConditionKey(tenantID string, t kaspersky.Office365EventType) Key {
	var k rawKey
	conditionRawKey(&k, tenantID, t)
	return k.key()
}

// GroupKey returns the key of the order for repeats of an event type on a
// device of a tenant under a grouped rule. It does not depend on the events'
// ids: every repeat maps to the same key, and an order found closed is
// followed by a new order with the same key.
func GroupKey(tenantID string, origin kaspersky.Origin, deviceID, eventType string) Key {
	var k rawKey
	var num [20]byte
	setRawKey(&k, KindGroup, tenantID, string(strconv.AppendInt(num[:0], int64(origin), 10)), deviceID, eventType)
	return k.key()
}

// SummaryKey returns the key of the flood guard's summary order of a tenant
// that covers, as its earliest event, the event with key first. A cycle
// retried after a crash covers the same events, hence finds the same key.
func SummaryKey(tenantID string, first Key) Key {
	var k rawKey
	setRawKey(&k, KindSummary, tenantID, string(first))
	return k.key()
}

// LicenseKey returns the key of the order for a license condition of a
// tenant.
func LicenseKey(tenantID, licenseID string, c LicenseCondition) Key {
	var k rawKey
	setRawKey(&k, KindLicense, tenantID, licenseID, string(c))
	return k.key()
}
