package serviceorder

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"

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
	}
	return 'C'
}

// level reports whether orders of the kind mirror a state (status, condition):
// only an open order with the key counts as existing, and a closed one may be
// followed by a new one with the same key. An event order, open or closed, is
// created once.
func (k Kind) level() bool { return k != KindEvent }

var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func makeKey(kind Kind, parts ...string) Key {
	// Length-prefixed parts, so that ("ab", "c") and ("a", "bc") differ.
	var stack [256]byte
	buf := append(stack[:0], kind.letter())
	for _, p := range parts {
		buf = binary.AppendUvarint(buf, uint64(len(p)))
		buf = append(buf, p...)
	}
	sum := sha256.Sum256(buf)
	var out [len(keyPrefix) + 2 + 56]byte
	n := copy(out[:], keyPrefix)
	out[n] = kind.letter()
	out[n+1] = '-'
	keyEncoding.Encode(out[n+2:], sum[:])
	return Key(out[:KeyLen])
}

// StatusKey returns the key of the order for status description code holding on
// a device of a tenant. The level is not part of the key: one order covers the
// description whether it holds at Warning or Critical.
func StatusKey(tenantID, deviceID string, code kaspersky.StatusCode) Key {
	return makeKey(KindStatus, tenantID, deviceID, string(code))
}

// EventKey returns the key of the order for an event of a tenant.
func EventKey(tenantID string, origin kaspersky.Origin, eventID string) Key {
	return makeKey(KindEvent, tenantID, fmt.Sprint(int(origin)), eventID)
}

// ConditionKey returns the key of the order for an Office 365 condition of a
// tenant.
func ConditionKey(tenantID string, t kaspersky.Office365EventType) Key {
	return makeKey(KindCondition, tenantID, string(t))
}
