package serviceorder

import (
	"strings"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

// keyCacheSpan is through how many calls in a row that do not evaluate a
// tenant an [Evaluator] keeps the tenant's status keys.
const keyCacheSpan = 8

// keyLookahead is how far past its position in the previous call a status
// key is looked for, to find keys again after a few descriptions cleared.
const keyLookahead = 16

// statusKeyCache remembers, per tenant, the status keys the last status pass
// of the tenant computed, in the order it computed them. A tenant's devices
// and their descriptions come in much the same order cycle after cycle, so
// the pass finds most keys at or just after where it found them last time,
// instead of computing a SHA-256 for every description every cycle.
//
// It holds copies of the tenant and device ids, never the input's strings.
// Its size is bounded by the descriptions of each tenant's last pass, for the
// tenants evaluated in the last keyCacheSpan calls.
type statusKeyCache struct {
	calls   int
	tenants map[string]*tenantKeys
	cur     *tenantKeys // the tenant of the pass in progress
	pos     int         // where in cur.last the next key is looked for first
}

// tenantKeys are the status keys of one tenant.
type tenantKeys struct {
	used int        // the call that last used them
	last []keyEntry // the keys of the last pass, in order
	next []keyEntry // those of the pass in progress
}

// keyEntry is a status key with what it was computed from.
type keyEntry struct {
	device string
	code   kaspersky.StatusCode
	raw    rawKey
	str    Key // raw as a Key
}

// start starts a call, dropping the keys of the tenants none of the last
// keyCacheSpan calls evaluated.
func (c *statusKeyCache) start() {
	if c.tenants == nil {
		c.tenants = map[string]*tenantKeys{}
	}
	c.calls++
	for id, t := range c.tenants {
		if c.calls-t.used > keyCacheSpan {
			delete(c.tenants, id)
		}
	}
}

// begin starts the status pass of a tenant.
func (c *statusKeyCache) begin(tenantID string) {
	t := c.tenants[tenantID]
	if t == nil {
		t = &tenantKeys{}
		c.tenants[strings.Clone(tenantID)] = t
	}
	t.used = c.calls
	t.next = t.next[:0]
	c.cur, c.pos = t, 0
}

// end ends the status pass begun last: its keys are those the next pass of the
// tenant looks through.
func (c *statusKeyCache) end() {
	t := c.cur
	clear(t.last)
	t.last, t.next = t.next, t.last[:0]
	c.cur = nil
}

// get returns the index, in the pass's keys, of the key of the status code on
// a device of the tenant of the pass.
func (c *statusKeyCache) get(tenantID, deviceID string, code kaspersky.StatusCode) int {
	t := c.cur
	for j := c.pos; j < len(t.last) && j < c.pos+keyLookahead; j++ {
		if e := &t.last[j]; e.device == deviceID && e.code == code {
			t.next = append(t.next, *e)
			c.pos = j + 1
			return len(t.next) - 1
		}
	}
	// Not found: compute it, and make it a Key with copies of the ids in one
	// allocation (a create or watch needs the Key, the cache the copies).
	var raw rawKey
	statusRawKey(&raw, tenantID, deviceID, code)
	var stack [128]byte
	s := string(append(append(append(stack[:0], deviceID...), code...), raw[:]...))
	n, m := len(deviceID), len(deviceID)+len(code)
	t.next = append(t.next, keyEntry{device: s[:n], code: kaspersky.StatusCode(s[n:m]), raw: raw, str: Key(s[m:])})
	return len(t.next) - 1
}

// raw returns the key at index i of the pass.
func (c *statusKeyCache) raw(i int) rawKey { return c.cur.next[i].raw }

// key returns the key at index i of the pass as a Key.
func (c *statusKeyCache) key(i int) Key { return c.cur.next[i].str }
