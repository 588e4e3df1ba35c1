package ksc

import (
	"context"
	"fmt"
	"iter"
	"time"
)

// KeyType is KLLIC_KEY_TYPE.
type KeyType int

// The key types as KSC numbers them.
const (
	KeyTypeCommercial   KeyType = 1
	KeyTypeBeta         KeyType = 2
	KeyTypeTrial        KeyType = 3
	KeyTypeTest         KeyType = 4
	KeyTypeOEM          KeyType = 5
	KeyTypeSubscription KeyType = 6
)

// SubscriptionState is KLLIC_SUBSCRINFO_STATE.
type SubscriptionState int

// The subscription states as KSC numbers them.
const (
	SubscriptionActive        SubscriptionState = 0
	SubscriptionPaused        SubscriptionState = 1
	SubscriptionSoftCancelled SubscriptionState = 2
	SubscriptionHardCancelled SubscriptionState = 3
)

// Key is a license key as LicenseKeys.EnumKeys reports it.
type Key struct {
	Serial      string // KLLIC_SERIAL
	ProductName string // KLLIC_PROD_NAME
	AppID       int64  // KLLIC_APP_ID
	Type        KeyType
	// LimitDate is when the key expires (KLLIC_LIMIT_DATE); zero when unknown.
	LimitDate time.Time
	// Count is the number of licenses the key allows (KLLIC_LIC_COUNT).
	Count int64
	// HostsAsCurrent is how many hosts use it as their active key.
	HostsAsCurrent int64
	IsSubscription bool
	// SubscriptionState is meaningful when HasSubscriptionState is true.
	SubscriptionState    SubscriptionState
	HasSubscriptionState bool
	// SubscriptionEnd is KLLIC_SUBSCRINFO_ENDDATE; zero when unknown.
	SubscriptionEnd time.Time
}

// KeyFields are the attributes EnumKeys asks for.
var KeyFields = []string{
	"KLLIC_SERIAL", "KLLIC_PROD_NAME", "KLLIC_APP_ID", "KLLIC_KEY_TYPE", "KLLIC_LIMIT_DATE",
	"KLLIC_LIC_COUNT", "KLLIC_NHOSTS_ASCURRENT", "KLLIC_LICTYPE_IS_SUBSCRIPTION",
	"KLLIC_SUBSCRINFO_STATE", "KLLIC_SUBSCRINFO_ENDDATE",
}

type keyWire struct {
	Serial       string   `json:"KLLIC_SERIAL"`
	Product      string   `json:"KLLIC_PROD_NAME"`
	AppID        flexInt  `json:"KLLIC_APP_ID"`
	Type         flexInt  `json:"KLLIC_KEY_TYPE"`
	Limit        flexTime `json:"KLLIC_LIMIT_DATE"`
	Count        flexInt  `json:"KLLIC_LIC_COUNT"`
	AsCurrent    flexInt  `json:"KLLIC_NHOSTS_ASCURRENT"`
	IsSubscr     flexBool `json:"KLLIC_LICTYPE_IS_SUBSCRIPTION"`
	SubscrState  flexInt  `json:"KLLIC_SUBSCRINFO_STATE"`
	SubscrEndDay flexTime `json:"KLLIC_SUBSCRINFO_ENDDATE"`
}

func (w *keyWire) key() Key {
	return Key{
		Serial: w.Serial, ProductName: w.Product, AppID: w.AppID.v, Type: KeyType(w.Type.v),
		LimitDate: w.Limit.t, Count: w.Count.v, HostsAsCurrent: w.AsCurrent.v,
		IsSubscription:    w.IsSubscr.v,
		SubscriptionState: SubscriptionState(w.SubscrState.v), HasSubscriptionState: w.SubscrState.ok,
		SubscriptionEnd: w.SubscrEndDay.t,
	}
}

// check refuses a key whose billing cannot be decided: without a type, or
// with a type outside 1 to 6, it would read as an unknown key, and a
// subscription without a state KSC defines as one without a state; neither
// bills, so the devices using the key would leave billing on a short or
// unexpected answer.
func (w *keyWire) check() error {
	subscription := w.Type.ok && KeyType(w.Type.v) == KeyTypeSubscription || w.IsSubscr.v
	switch {
	case !w.Type.ok:
		return fmt.Errorf("KLLIC_KEY_TYPE is missing or null: whether the key bills is unknown")
	case w.Type.v < int64(KeyTypeCommercial) || w.Type.v > int64(KeyTypeSubscription):
		return fmt.Errorf("KLLIC_KEY_TYPE %d is not a type KSC defines (1 to 6): whether the key bills is unknown", w.Type.v)
	case subscription && !w.SubscrState.ok:
		return fmt.Errorf("the key is a subscription without KLLIC_SUBSCRINFO_STATE: whether it bills is unknown")
	case subscription && (w.SubscrState.v < int64(SubscriptionActive) || w.SubscrState.v > int64(SubscriptionHardCancelled)):
		return fmt.Errorf("KLLIC_SUBSCRINFO_STATE %d is not a state KSC defines (0 to 3)", w.SubscrState.v)
	}
	return nil
}

// KeyHost is a host that uses a license key.
type KeyHost struct {
	// HostID is KLLICSRV_HOSTNAME (= KLHST_WKS_HOSTNAME).
	HostID string
	// Current is true when the key is the host's active key, false when it is a
	// reserve key.
	Current bool
	Product string // KLLICSRV_PRODUCT
}

// KeyHostFields are the attributes AcquireKeyHosts asks for.
var KeyHostFields = []string{"KLLICSRV_HOSTNAME", "KLLICSRV_HOST_CURRENT", "KLLICSRV_PRODUCT"}

type keyHostWire struct {
	Host    string   `json:"KLLICSRV_HOSTNAME"`
	Current flexBool `json:"KLLICSRV_HOST_CURRENT"`
	Product string   `json:"KLLICSRV_PRODUCT"`
}

// EnumKeys iterates over the license keys of the client's (virtual) server
// through a GroupSyncIterator, released when the loop ends. A key without a
// KLLIC_KEY_TYPE of 1 to 6, or a subscription without a KLLIC_SUBSCRINFO_STATE
// of 0 to 3, ends the read with an error wrapping ErrIncomplete that names the
// key's serial and the value.
func (c *Client) EnumKeys(ctx context.Context) iter.Seq2[Key, error] {
	open := func(ctx context.Context, gen *uint64) (string, int, error) {
		args := Params{
			"pFields":        KeyFields,
			"pFieldsToOrder": []string{},
			"pOptions":       Params{},
			"lTimeoutSec":    int(c.core.lifetime / time.Second),
		}
		return c.openIterator(ctx, "LicenseKeys.EnumKeys", args, gen)
	}
	f := groupSyncIterator(c, "EnumKeys", "KLLIC_SERIAL", open, func(w keyWire) string { return w.Serial })
	f.check = func(w keyWire) error { return w.check() }
	return func(yield func(Key, error) bool) {
		for w, err := range iterate(ctx, c, f) {
			if !yield(w.key(), err) {
				return
			}
		}
	}
}

// KeyHosts iterates over the hosts that use the key with the given serial
// number, as active or reserve key (LicenseKeys.AcquireKeyHosts). A host
// without KLLICSRV_HOST_CURRENT ends the read with an error wrapping
// ErrIncomplete: read as a reserve key it would leave billing.
func (c *Client) KeyHosts(ctx context.Context, serial string) iter.Seq2[KeyHost, error] {
	if serial == "" {
		return func(yield func(KeyHost, error) bool) {
			yield(KeyHost{}, fmt.Errorf("ksc: KeyHosts: serial is empty"))
		}
	}
	open := func(ctx context.Context, gen *uint64) (string, int, error) {
		args := Params{
			"pInData":        Params{"KLLIC_SERIAL": serial},
			"pFields":        KeyHostFields,
			"pFieldsToOrder": []string{},
			"pOptions":       Params{},
			"lTimeoutSec":    int(c.core.lifetime / time.Second),
		}
		return c.openIterator(ctx, "LicenseKeys.AcquireKeyHosts", args, gen)
	}
	f := groupSyncIterator(c, "AcquireKeyHosts", "KLLICSRV_HOSTNAME", open, func(w keyHostWire) string { return w.Host })
	// Whether the key is the host's active one decides whether the device
	// bills: an absent mark is an error, not a reserve key.
	f.check = func(w keyHostWire) error {
		if !w.Current.ok {
			return fmt.Errorf("KLLICSRV_HOST_CURRENT is missing or null: whether the key is the host's active key is unknown")
		}
		return nil
	}
	return func(yield func(KeyHost, error) bool) {
		for w, err := range iterate(ctx, c, f) {
			if !yield(KeyHost{HostID: w.Host, Current: w.Current.v, Product: w.Product}, err) {
				return
			}
		}
	}
}

// openIterator runs a call that opens a GroupSyncIterator and returns the
// iterator and the count it announces (lKeyCount), both required. The
// iterator is released when the rest of the answer is unusable.
func (c *Client) openIterator(ctx context.Context, method string, args Params, gen *uint64) (string, int, error) {
	var out struct {
		Iterator string    `json:"wstrIterator"`
		Count    *countInt `json:"lKeyCount"`
	}
	check := func() error {
		switch {
		case out.Iterator == "":
			return incomplete(method, "response has no wstrIterator")
		case out.Count == nil || !out.Count.ok:
			return incomplete(method, "response has no lKeyCount")
		case out.Count.v < 0 || out.Count.v > maxSetItems:
			return incomplete(method, "lKeyCount %d is out of range", out.Count.v)
		}
		return nil
	}
	if err := c.openResultSet(ctx, method, args, gen, "wstrIterator", &out, check, c.releaseIterator); err != nil {
		return "", 0, err
	}
	return out.Iterator, int(out.Count.v), nil
}

// Keys returns all license keys.
func (c *Client) Keys(ctx context.Context) ([]Key, error) {
	return collect(c.EnumKeys(ctx))
}

// KeyHostList returns all hosts using the key with the given serial number.
func (c *Client) KeyHostList(ctx context.Context, serial string) ([]KeyHost, error) {
	return collect(c.KeyHosts(ctx, serial))
}

func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
