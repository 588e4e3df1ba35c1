package ksc

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strings"
	"time"
)

// HostStatus is a device's overall status (KLHST_WKS_STATUS_ID).
type HostStatus int

// The host statuses as KSC numbers them.
const (
	HostOK       HostStatus = 0
	HostCritical HostStatus = 1
	HostWarning  HostStatus = 2
)

// The bits of KLHST_WKS_CTYPE the client interprets.
const (
	CTypeWorkstation   = 0x1
	CTypeServer        = 0x2
	CTypeUnixServer    = 0x800
	CTypeNT            = 0x1000
	CTypeFreeBSD       = 0x2000
	CTypeWindowsServer = 0x8000
	CTypeLinux         = 0x200000
	CTypeWindows       = 0x400000
)

// Host is a device as HostGroup.FindHosts reports it.
type Host struct {
	// ID is the server-generated host id (KLHST_WKS_HOSTNAME), the device key.
	ID          string
	DisplayName string // KLHST_WKS_DN
	OSName      string // KLHST_WKS_OS_NAME
	// CType is KLHST_WKS_CTYPE; HasCType is false when the server sent none.
	CType    int64
	HasCType bool
	// StatusID is KLHST_WKS_STATUS_ID; HasStatusID is false when absent.
	StatusID    HostStatus
	HasStatusID bool
	// StatusMask is KLHST_WKS_STATUS_MASK: bit i set means status description i
	// holds.
	StatusMask uint64
	// Status is KLHST_WKS_STATUS.
	Status int64
	// LastVisible is KLHST_WKS_LAST_VISIBLE; zero when unknown.
	LastVisible time.Time
}

// HostFields are the attributes FindHosts asks for.
var HostFields = []string{
	"KLHST_WKS_HOSTNAME", "KLHST_WKS_DN", "KLHST_WKS_OS_NAME", "KLHST_WKS_CTYPE",
	"KLHST_WKS_STATUS_ID", "KLHST_WKS_STATUS_MASK", "KLHST_WKS_STATUS", "KLHST_WKS_LAST_VISIBLE",
}

type hostWire struct {
	Hostname    string   `json:"KLHST_WKS_HOSTNAME"`
	DN          string   `json:"KLHST_WKS_DN"`
	OSName      string   `json:"KLHST_WKS_OS_NAME"`
	CType       flexInt  `json:"KLHST_WKS_CTYPE"`
	StatusID    flexInt  `json:"KLHST_WKS_STATUS_ID"`
	StatusMask  flexInt  `json:"KLHST_WKS_STATUS_MASK"`
	Status      flexInt  `json:"KLHST_WKS_STATUS"`
	LastVisible flexTime `json:"KLHST_WKS_LAST_VISIBLE"`
}

func (w *hostWire) host() Host {
	return Host{
		ID: w.Hostname, DisplayName: w.DN, OSName: w.OSName,
		CType: w.CType.v, HasCType: w.CType.ok,
		StatusID: HostStatus(w.StatusID.v), HasStatusID: w.StatusID.ok,
		StatusMask: uint64(w.StatusMask.v), Status: w.Status.v,
		LastVisible: w.LastVisible.t,
	}
}

// check refuses a host whose status or category cannot be read: the service
// order engine closes a device's orders when its status reads OK or loses a
// description, and billing prices a device by its category, so an absent
// KLHST_WKS_STATUS_ID or KLHST_WKS_STATUS_MASK, a status id KSC does not
// define, or neither KLHST_WKS_CTYPE nor KLHST_WKS_OS_NAME is an error rather
// than OK, no description or non-Windows.
func (w *hostWire) check() error {
	switch {
	case !w.StatusID.ok:
		return fmt.Errorf("KLHST_WKS_STATUS_ID is missing or null: the device's status is unknown")
	case w.StatusID.v < int64(HostOK) || w.StatusID.v > int64(HostWarning):
		return fmt.Errorf("KLHST_WKS_STATUS_ID %d is not a status KSC defines (0 OK, 1 Critical, 2 Warning)", w.StatusID.v)
	case !w.StatusMask.ok:
		return fmt.Errorf("KLHST_WKS_STATUS_MASK is missing or null: the device's status descriptions are unknown")
	case !w.CType.ok && strings.TrimSpace(w.OSName) == "":
		return fmt.Errorf("neither KLHST_WKS_CTYPE nor KLHST_WKS_OS_NAME is given: the device's category is unknown")
	}
	return nil
}

// HostQuery selects hosts.
type HostQuery struct {
	// Filter selects the hosts; required (KSC has no "all" filter: scope by
	// group, e.g. Ge("KLHST_WKS_GROUPID_GP", 0) or Eq("KLHST_WKS_GROUPID_GP", id)).
	Filter Filter
	// OrderBy is the attribute to sort by (default KLHST_WKS_HOSTNAME); Desc
	// reverses it.
	OrderBy string
	Desc    bool
}

// FindHosts iterates over the hosts matching q through a ChunkAccessor, which
// is released when the loop ends, however it ends. A host without a status
// (KLHST_WKS_STATUS_ID 0, 1 or 2, and KLHST_WKS_STATUS_MASK) or without
// anything to tell its category from (KLHST_WKS_CTYPE or KLHST_WKS_OS_NAME)
// ends the read with an error wrapping ErrIncomplete.
func (c *Client) FindHosts(ctx context.Context, q HostQuery) iter.Seq2[Host, error] {
	filter, err := q.Filter.Build()
	if err == nil && filter == "" {
		err = fmt.Errorf("ksc: FindHosts: filter is required")
	}
	order := q.OrderBy
	if order == "" {
		order = "KLHST_WKS_HOSTNAME"
	}
	if err == nil {
		err = validAttr(order)
	}
	if err != nil {
		return func(yield func(Host, error) bool) { yield(Host{}, err) }
	}
	open := func(ctx context.Context, gen *uint64) (string, int, error) {
		const method = "HostGroup.FindHosts"
		args := Params{
			"wstrFilter":        filter,
			"vecFieldsToReturn": HostFields,
			"vecFieldsToOrder":  []Params{{"Name": order, "Asc": !q.Desc}},
			"pParams":           Params{},
			"lMaxLifeTime":      int(c.core.lifetime / time.Second),
		}
		var out struct {
			Accessor string    `json:"strAccessor"`
			Count    *countInt `json:"PxgRetVal"`
		}
		check := func() error {
			if out.Accessor == "" {
				return incomplete(method, "response has no strAccessor")
			}
			if out.Count != nil && out.Count.ok && (out.Count.v < 0 || out.Count.v > maxSetItems) {
				return incomplete(method, "count (PxgRetVal) %d is out of range", out.Count.v)
			}
			return nil
		}
		if err := c.openResultSet(ctx, method, args, gen, "strAccessor", &out, check, c.releaseChunkAccessor); err != nil {
			return "", 0, err
		}
		total := -1 // read with GetItemsCount
		if out.Count != nil && out.Count.ok {
			total = int(out.Count.v)
		}
		return out.Accessor, total, nil
	}
	f := chunkAccessor(c, "FindHosts", "KLHST_WKS_HOSTNAME", open, func() *hostChunkResponse { return new(hostChunkResponse) },
		func(w hostWire) string { return w.Hostname })
	f.check = func(w hostWire) error { return w.check() }
	return func(yield func(Host, error) bool) {
		for w, err := range iterate(ctx, c, f) {
			if !yield(w.host(), err) {
				return
			}
		}
	}
}

// Hosts returns all hosts matching q.
func (c *Client) Hosts(ctx context.Context, q HostQuery) ([]Host, error) {
	var hosts []Host
	for h, err := range c.FindHosts(ctx, q) {
		if err != nil {
			return nil, err
		}
		hosts = append(hosts, h)
	}
	return hosts, nil
}

// hostItem is one FindHosts item, wrapped ({"type":"params","value":{...}})
// or bare, decoded in the same pass as the array that holds it.
type hostItem struct {
	Type  string   `json:"type"`
	Value hostWire `json:"value"`
	hostWire
}

// wire returns the host the item holds; false for an item without a host id.
func (it *hostItem) wire() (*hostWire, bool) {
	w := &it.hostWire
	if it.Type == tagParams {
		w = &it.Value
	}
	return w, w.Hostname != ""
}

// hostChunk is the pChunk out-parameter of a FindHosts chunk (bare, or wrapped
// as params).
type hostChunk struct {
	Items cappedArray[*hostItem] `json:"KLCSP_ITERATOR_ARRAY"`
	Type  string                 `json:"type"`
	Value json.RawMessage        `json:"value"`
}

// hostChunkResponse is the response of ChunkAccessor.GetItemsChunk for a
// FindHosts accessor.
type hostChunkResponse struct {
	Chunk *hostChunk `json:"pChunk"`
	// scanned holds the chunk when scanBody read the body (encoding/json
	// ignores the field).
	scanned *scannedChunk
}

// chunkItems returns the hosts of the chunk. A chunk without pChunk, with a
// null one or one without its array, a null element or an element without a
// host id is an error (wrapping ErrIncomplete) naming the field.
func (r *hostChunkResponse) chunkItems() ([]hostWire, error) {
	const method = "ChunkAccessor.GetItemsChunk"
	if r.scanned != nil {
		return r.scanned.items, nil
	}
	ch := r.Chunk
	if ch == nil {
		return nil, incomplete(method, "response has no pChunk (missing or null)")
	}
	if !ch.Items.set && ch.Type == tagParams && len(ch.Value) > 0 {
		var inner hostChunk
		if err := json.Unmarshal(ch.Value, &inner); err != nil {
			return nil, incomplete(method, "wrapped pChunk: %v", err)
		}
		ch = &inner
	}
	if !ch.Items.set {
		return nil, incomplete(method, "pChunk.KLCSP_ITERATOR_ARRAY is missing or null")
	}
	out := make([]hostWire, 0, len(ch.Items.elems))
	for i, it := range ch.Items.elems {
		if it == nil {
			return nil, incomplete(method, "pChunk.KLCSP_ITERATOR_ARRAY element %d is null", i)
		}
		w, ok := it.wire()
		if !ok {
			return nil, incomplete(method, "pChunk.KLCSP_ITERATOR_ARRAY element %d has no KLHST_WKS_HOSTNAME", i)
		}
		out = append(out, *w)
	}
	return out, nil
}

// decodeHostChunk decodes a ChunkAccessor.GetItemsChunk response of FindHosts
// into hosts.
func decodeHostChunk(body []byte) ([]Host, error) {
	var out hostChunkResponse
	if err := decodeResponse("ChunkAccessor.GetItemsChunk", 200, body, &out); err != nil {
		return nil, err
	}
	wires, err := out.chunkItems()
	if err != nil {
		return nil, err
	}
	hosts := make([]Host, len(wires))
	for i := range wires {
		hosts[i] = wires[i].host()
	}
	return hosts, nil
}
