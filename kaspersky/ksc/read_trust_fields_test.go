package ksc

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksctest"
)

// The tests of this file check the fields that decide billing and service
// orders: a count, a status, a category or an active-key mark that is absent
// or of the wrong type is an error, never a value that happens to mean
// "nothing there" (zero hosts, status OK, a reserve key).

// TestCountOfTheWrongTypeIsAnError gives each announced count as a boolean: a
// false read as 0 would make a tenant's hosts, keys or events an empty set.
func TestCountOfTheWrongTypeIsAnError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method string
		edit         func(m map[string]any)
		read         func(c *Client) error
	}{
		{"FindHosts PxgRetVal false", "HostGroup.FindHosts", func(m map[string]any) { m["PxgRetVal"] = false },
			func(c *Client) error { _, err := c.Hosts(t.Context(), alphaHosts); return err }},
		{"GetItemsCount PxgRetVal false", "ChunkAccessor.GetItemsCount", func(m map[string]any) { m["PxgRetVal"] = false },
			func(c *Client) error { _, err := c.Hosts(t.Context(), alphaHosts); return err }},
		{"EnumKeys lKeyCount false", "LicenseKeys.EnumKeys", func(m map[string]any) { m["lKeyCount"] = false },
			func(c *Client) error { _, err := c.Keys(t.Context()); return err }},
		{"AcquireKeyHosts lKeyCount true", "LicenseKeys.AcquireKeyHosts", func(m map[string]any) { m["lKeyCount"] = true },
			func(c *Client) error { _, err := c.KeyHostList(t.Context(), "K-COM"); return err }},
		{"GetRecordCount PxgRetVal false", "EventProcessing.GetRecordCount", func(m map[string]any) { m["PxgRetVal"] = false },
			func(c *Client) error {
				_, err := c.EventList(t.Context(), EventQuery{From: t0.AddDate(0, 0, -1), To: t0})
				return err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t)
			if tt.method == "ChunkAccessor.GetItemsCount" {
				// Without a count in FindHosts' answer the client asks for it.
				srv.InjectFault("HostGroup.FindHosts", ksctest.Fault{Rewrite: rewrite(t, func(m map[string]any) { delete(m, "PxgRetVal") })})
			}
			srv.InjectFault(tt.method, ksctest.Fault{Rewrite: rewrite(t, tt.edit)})
			err := tt.read(c.ForVirtualServer(vsAlpha.DisplayName))
			wantIncomplete(t, err, tt.method)
			wantReleased(t, srv)
		})
	}
}

// keyHostsWith answers the first GetNextItems of K-COM's hosts with one host
// whose attributes are attrs.
func keyHostsWith(attrs string) ksctest.Fault {
	return ksctest.Fault{Body: []byte(`{"pData":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{` + attrs + `}}]},"bEOF":false}`)}
}

// TestKeyHostWithoutItsActiveMarkIsAnError: a host of a key without
// KLLICSRV_HOST_CURRENT would read as a reserve key, which never bills, so
// the device would silently leave billing.
func TestKeyHostWithoutItsActiveMarkIsAnError(t *testing.T) {
	t.Parallel()
	for _, attrs := range []string{
		`"KLLICSRV_HOSTNAME":"h-ws"`,
		`"KLLICSRV_HOSTNAME":"h-ws","KLLICSRV_HOST_CURRENT":null`,
		`"KLLICSRV_HOSTNAME":"h-ws","KLLICSRV_HOST_CURRENT":{"type":"long","value":null}`,
	} {
		srv, c := setup(t)
		srv.InjectFault("GroupSyncIterator.GetNextItems", keyHostsWith(attrs))
		hosts, err := c.ForVirtualServer(vsAlpha.DisplayName).KeyHostList(t.Context(), "K-COM")
		if hosts != nil {
			t.Errorf("%s: key hosts %v returned with the error", attrs, hosts)
		}
		wantIncomplete(t, err, "KLLICSRV_HOST_CURRENT")
		wantReleased(t, srv)
	}
}

// chunkWith answers the first GetItemsChunk of alpha's hosts with one host
// whose attributes are attrs.
func chunkWith(attrs string) ksctest.Fault {
	return ksctest.Fault{Body: []byte(`{"pChunk":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{"KLHST_WKS_HOSTNAME":"h-ws",` + attrs + `}}]}}`)}
}

// TestHostWithoutAReadableStatusIsAnError: a host whose status id or mask is
// absent, or whose status id KSC does not define, would read as OK (or at
// another level), and the service order engine would close its orders.
func TestHostWithoutAReadableStatusIsAnError(t *testing.T) {
	t.Parallel()
	const cat = `"KLHST_WKS_CTYPE":4198401,"KLHST_WKS_OS_NAME":"Microsoft Windows 11 Pro"`
	tests := []struct{ name, attrs, want string }{
		{"no status id", cat + `,"KLHST_WKS_STATUS_MASK":2048`, "KLHST_WKS_STATUS_ID"},
		{"null status id", cat + `,"KLHST_WKS_STATUS_ID":null,"KLHST_WKS_STATUS_MASK":2048`, "KLHST_WKS_STATUS_ID"},
		{"unknown status id", cat + `,"KLHST_WKS_STATUS_ID":7,"KLHST_WKS_STATUS_MASK":0`, "KLHST_WKS_STATUS_ID"},
		{"negative status id", cat + `,"KLHST_WKS_STATUS_ID":-1,"KLHST_WKS_STATUS_MASK":0`, "KLHST_WKS_STATUS_ID"},
		{"no status mask", cat + `,"KLHST_WKS_STATUS_ID":2`, "KLHST_WKS_STATUS_MASK"},
		{"null status mask", cat + `,"KLHST_WKS_STATUS_ID":2,"KLHST_WKS_STATUS_MASK":{"type":"long","value":null}`, "KLHST_WKS_STATUS_MASK"},
		{"no status at all", cat, "KLHST_WKS_STATUS_ID"},
		{"neither category field", `"KLHST_WKS_STATUS_ID":0,"KLHST_WKS_STATUS_MASK":0`, "KLHST_WKS_CTYPE"},
		{"null type, empty OS name", `"KLHST_WKS_CTYPE":null,"KLHST_WKS_OS_NAME":"","KLHST_WKS_STATUS_ID":0,"KLHST_WKS_STATUS_MASK":0`, "KLHST_WKS_OS_NAME"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t)
			srv.InjectFault("HostGroup.FindHosts", ksctest.Fault{Rewrite: rewrite(t, func(m map[string]any) { m["PxgRetVal"] = 1 })})
			srv.InjectFault("ChunkAccessor.GetItemsChunk", chunkWith(tt.attrs))
			hosts, err := c.ForVirtualServer(vsAlpha.DisplayName).Hosts(t.Context(), alphaHosts)
			if hosts != nil {
				t.Errorf("hosts %v returned with the error", hosts)
			}
			wantIncomplete(t, err, tt.want)
			if !strings.Contains(err.Error(), `"h-ws"`) {
				t.Errorf("error %q does not name the host", err)
			}
			wantReleased(t, srv)
		})
	}
}

// TestHostStatusAndCategoryAcceptedShapes: the shapes that carry the fields
// (plain, wrapped, a category from the OS name alone) still read.
func TestHostStatusAndCategoryAcceptedShapes(t *testing.T) {
	t.Parallel()
	for _, attrs := range []string{
		`"KLHST_WKS_CTYPE":4198401,"KLHST_WKS_STATUS_ID":0,"KLHST_WKS_STATUS_MASK":0`,
		`"KLHST_WKS_OS_NAME":"Ubuntu","KLHST_WKS_STATUS_ID":{"type":"long","value":2},"KLHST_WKS_STATUS_MASK":{"type":"long","value":"2048"}`,
		`"KLHST_WKS_CTYPE":{"type":"long","value":0},"KLHST_WKS_OS_NAME":"","KLHST_WKS_STATUS_ID":1,"KLHST_WKS_STATUS_MASK":8`,
	} {
		srv, c := setup(t)
		srv.InjectFault("HostGroup.FindHosts", ksctest.Fault{Rewrite: rewrite(t, func(m map[string]any) { m["PxgRetVal"] = 1 })})
		srv.InjectFault("ChunkAccessor.GetItemsChunk", chunkWith(attrs))
		hosts, err := c.ForVirtualServer(vsAlpha.DisplayName).Hosts(t.Context(), alphaHosts)
		if err != nil || len(hosts) != 1 || hosts[0].ID != "h-ws" {
			t.Errorf("%s: hosts %+v, error %v; want h-ws alone", attrs, hosts, err)
		}
		wantReleased(t, srv)
	}
}

// vserverList is a GetVServers answer listing the given virtual servers
// (JSON objects of their attributes).
func vserverList(items ...string) ksctest.Fault {
	body := `{"PxgRetVal":[`
	for i, it := range items {
		if i > 0 {
			body += ","
		}
		body += `{"type":"params","value":` + it + `}`
	}
	return ksctest.Fault{Body: []byte(body + `]}`)}
}

const (
	alphaAttrs = `{"KLVSRV_ID":1,"KLVSRV_UID":"vs-alpha-uid","KLVSRV_DN":"Alpha Ltd","KLVSRV_GRP":0,"KLVSRV_GROUPS":10,"KLVSRV_ENABLED":true}`
	betaAttrs  = `{"KLVSRV_ID":2,"KLVSRV_UID":"vs-beta-uid","KLVSRV_DN":"Beta \"Quoted\" Co","KLVSRV_GRP":0,"KLVSRV_GROUPS":20,"KLVSRV_ENABLED":true}`
)

// TestVirtualServerWithoutItsManagedGroupFailsItsInventory: without
// KLVSRV_GROUPS the hosts would be read from group 0, which is not the
// tenant's: an empty device list for a tenant that has devices. The tenant is
// still listed (it exists), its inventory is an error, the others read.
func TestVirtualServerWithoutItsManagedGroupFailsItsInventory(t *testing.T) {
	t.Parallel()
	for _, alpha := range []string{
		`{"KLVSRV_ID":1,"KLVSRV_UID":"vs-alpha-uid","KLVSRV_DN":"Alpha Ltd","KLVSRV_ENABLED":true}`,
		`{"KLVSRV_ID":1,"KLVSRV_UID":"vs-alpha-uid","KLVSRV_DN":"Alpha Ltd","KLVSRV_GROUPS":null,"KLVSRV_ENABLED":true}`,
	} {
		srv, c := setup(t)
		// Inventory lists the virtual servers again before it gives up.
		srv.InjectFault("VServers.GetVServers", vserverList(alpha, betaAttrs))
		srv.InjectFault("VServers.GetVServers", vserverList(alpha, betaAttrs))
		src := NewSource(c)
		tenants, err := src.Tenants(t.Context())
		if err != nil || len(tenants) != 2 {
			t.Fatalf("tenants %v, error %v; want alpha and beta", tenants, err)
		}
		inv, err := src.Inventory(t.Context(), vsAlpha.UID)
		if len(inv.Devices) != 0 {
			t.Errorf("devices %v returned with the error", inv.Devices)
		}
		wantIncomplete(t, err, "KLVSRV_GROUPS")
		if _, err := src.Inventory(t.Context(), vsBeta.UID); err != nil {
			t.Errorf("beta's inventory: %v", err)
		}
		wantReleased(t, srv)
	}
}

// TestVirtualServerListedTwiceDifferentlyFailsItsInventory: one id listed as
// two different virtual servers leaves it open which one holds the tenant's
// devices; reading either could bill the other's.
func TestVirtualServerListedTwiceDifferentlyFailsItsInventory(t *testing.T) {
	t.Parallel()
	srv, c := setup(t)
	other := `{"KLVSRV_ID":1,"KLVSRV_UID":"vs-alpha-uid","KLVSRV_DN":"Beta \"Quoted\" Co","KLVSRV_GRP":0,"KLVSRV_GROUPS":20,"KLVSRV_ENABLED":true}`
	srv.InjectFault("VServers.GetVServers", vserverList(alphaAttrs, betaAttrs, other))
	srv.InjectFault("VServers.GetVServers", vserverList(alphaAttrs, betaAttrs, other))
	src := NewSource(c)
	if _, err := src.Tenants(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, err := src.Inventory(t.Context(), vsAlpha.UID)
	wantIncomplete(t, err, "listed twice")

	// Listed twice alike is the same virtual server: it reads.
	srv.InjectFault("VServers.GetVServers", vserverList(alphaAttrs, betaAttrs, alphaAttrs))
	if _, err := src.Tenants(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Inventory(t.Context(), vsAlpha.UID); err != nil {
		t.Errorf("alpha listed twice alike: %v", err)
	}
	wantReleased(t, srv)
}

// keysWith answers the first GetNextItems of the keys with one key whose
// attributes are attrs.
func keysWith(attrs string) ksctest.Fault {
	return ksctest.Fault{Body: []byte(`{"pData":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{"KLLIC_SERIAL":"K-X",` + attrs + `}}]},"bEOF":true}`)}
}

// TestKeyWithoutWhatDecidesBillingIsAnError: a key without its type would
// read as an unknown key, and a subscription without its state (or with a
// state KSC does not define) as one without a state: neither bills, so the
// devices using them would silently leave billing. A malformed expiry date is
// an error too, not a key without one.
func TestKeyWithoutWhatDecidesBillingIsAnError(t *testing.T) {
	t.Parallel()
	const date = `"KLLIC_LIMIT_DATE":{"type":"datetime","value":"2027-11-29T12:00:00Z"}`
	tests := []struct{ name, attrs, want string }{
		{"no type", date, "KLLIC_KEY_TYPE"},
		{"null type", date + `,"KLLIC_KEY_TYPE":null`, "KLLIC_KEY_TYPE"},
		{"subscription type without state", date + `,"KLLIC_KEY_TYPE":6`, "KLLIC_SUBSCRINFO_STATE"},
		{"subscription flag without state", date + `,"KLLIC_KEY_TYPE":1,"KLLIC_LICTYPE_IS_SUBSCRIPTION":true,"KLLIC_SUBSCRINFO_STATE":null`, "KLLIC_SUBSCRINFO_STATE"},
		{"subscription of unknown state", date + `,"KLLIC_KEY_TYPE":6,"KLLIC_LICTYPE_IS_SUBSCRIPTION":true,"KLLIC_SUBSCRINFO_STATE":9`, "KLLIC_SUBSCRINFO_STATE 9"},
		{"malformed limit date", `"KLLIC_KEY_TYPE":1,"KLLIC_LIMIT_DATE":"29/11/2027"`, "GroupSyncIterator.GetNextItems"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t)
			srv.InjectFault("LicenseKeys.EnumKeys", ksctest.Fault{Rewrite: rewrite(t, func(m map[string]any) { m["lKeyCount"] = 1 })})
			srv.InjectFault("GroupSyncIterator.GetNextItems", keysWith(tt.attrs))
			keys, err := c.ForVirtualServer(vsAlpha.DisplayName).Keys(t.Context())
			if keys != nil {
				t.Errorf("keys %v returned with the error", keys)
			}
			wantIncomplete(t, err, tt.want)
			wantReleased(t, srv)
		})
	}
}

// TestKeyShapesThatRead: a commercial key needs no subscription state, and a
// key may have no expiry date ("" or absent: it never expires).
func TestKeyShapesThatRead(t *testing.T) {
	t.Parallel()
	for _, attrs := range []string{
		`"KLLIC_KEY_TYPE":1`,
		`"KLLIC_KEY_TYPE":{"type":"long","value":1},"KLLIC_LIMIT_DATE":"","KLLIC_LICTYPE_IS_SUBSCRIPTION":false`,
		`"KLLIC_KEY_TYPE":6,"KLLIC_LICTYPE_IS_SUBSCRIPTION":true,"KLLIC_SUBSCRINFO_STATE":0`,
		`"KLLIC_KEY_TYPE":3,"KLLIC_SUBSCRINFO_STATE":7`,
	} {
		srv, c := setup(t)
		srv.InjectFault("LicenseKeys.EnumKeys", ksctest.Fault{Rewrite: rewrite(t, func(m map[string]any) { m["lKeyCount"] = 1 })})
		srv.InjectFault("GroupSyncIterator.GetNextItems", keysWith(attrs))
		keys, err := c.ForVirtualServer(vsAlpha.DisplayName).Keys(t.Context())
		if err != nil || len(keys) != 1 || keys[0].Serial != "K-X" {
			t.Errorf("%s: keys %+v, error %v; want K-X alone", attrs, keys, err)
		}
		wantReleased(t, srv)
	}
}

// TestSessionEndsBetweenOpeningAndCounting: the session ends after the
// result set was opened, when its count is asked for. The handle went with
// the session; the set is opened again under the new one and read whole.
func TestSessionEndsBetweenOpeningAndCounting(t *testing.T) {
	t.Parallel()
	t.Run("hosts", func(t *testing.T) {
		t.Parallel()
		srv, c := setup(t)
		a := c.ForVirtualServer(vsAlpha.DisplayName)
		srv.InjectFault("HostGroup.FindHosts", ksctest.Fault{Rewrite: rewrite(t, func(m map[string]any) { delete(m, "PxgRetVal") })})
		srv.InjectFault("ChunkAccessor.GetItemsCount", ksctest.Fault{ExpireSession: true})
		hosts, err := a.Hosts(t.Context(), alphaHosts)
		if err != nil || len(hosts) != 5 {
			t.Errorf("hosts %d, error %v; want the 5 hosts", len(hosts), err)
		}
		wantReleased(t, srv)
	})
	t.Run("events", func(t *testing.T) {
		t.Parallel()
		srv, c := setup(t)
		a := c.ForVirtualServer(vsAlpha.DisplayName)
		srv.InjectFault("EventProcessing.GetRecordCount", ksctest.Fault{ExpireSession: true})
		evs, err := a.EventList(t.Context(), EventQuery{From: t0.AddDate(0, 0, -1), To: t0})
		if err != nil || len(evs) != 4 {
			t.Errorf("events %d, error %v; want the 4 events", len(evs), err)
		}
		wantReleased(t, srv)
	})
}

// TestKeyTypeOutsideTheContractFailsTheInventory: a KLLIC_KEY_TYPE other than
// 1 to 6 would read as an unknown key, which never bills, and the devices
// using it would leave billing; it fails the tenant's inventory instead,
// naming the key's serial and the value, even when the key says it is a
// subscription.
func TestKeyTypeOutsideTheContractFailsTheInventory(t *testing.T) {
	t.Parallel()
	for _, k := range []ksctest.Key{
		{Serial: "K-ODD", ProductName: "Kaspersky Endpoint Security for Business - Advanced", KeyType: 7, LimitDate: t0.AddDate(1, 0, 0), LicCount: 5},
		{Serial: "K-ODD", ProductName: "Kaspersky Endpoint Security for Business - Advanced", KeyType: 0, LimitDate: t0.AddDate(1, 0, 0), LicCount: 5},
		{Serial: "K-ODD", ProductName: "Kaspersky Endpoint Security for Business - Advanced", KeyType: -1, LimitDate: t0.AddDate(1, 0, 0), LicCount: 5},
		{Serial: "K-ODD", ProductName: "Kaspersky Endpoint Security for Business Select", KeyType: 99, LimitDate: t0.AddDate(1, 0, 0), LicCount: 5,
			IsSubscription: true, SubscriptionState: 0, SubscriptionEnd: t0.AddDate(1, 0, 0)},
	} {
		t.Run(strconv.Itoa(k.KeyType), func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t)
			srv.AddKey(vsAlpha.DisplayName, k)
			srv.SetKeyHosts(k.Serial, []ksctest.KeyHost{{Hostname: "h-ws", Current: true, Product: k.ProductName}})
			inv, err := NewSource(c).Inventory(t.Context(), vsAlpha.UID)
			if len(inv.Devices) != 0 || len(inv.Licenses) != 0 {
				t.Errorf("inventory %+v returned with the error", inv)
			}
			wantIncomplete(t, err, fmt.Sprintf(`KLLIC_SERIAL "K-ODD"): KLLIC_KEY_TYPE %d is not a type KSC defines`, k.KeyType))
			wantReleased(t, srv)
		})
	}
}

// TestEventWithoutRiseTimeFailsTheEventRead: an event whose rise_time is
// absent, null or empty would read as raised in the year 1. The service order
// engine takes an event that old for one past every rule's lifetime and
// drops it, so the order it should open would never open: the tenant's event
// read fails instead, naming the event.
func TestEventWithoutRiseTimeFailsTheEventRead(t *testing.T) {
	t.Parallel()
	for name, edit := range map[string]func(ev map[string]any){
		"missing": func(ev map[string]any) { delete(ev, "rise_time") },
		"null":    func(ev map[string]any) { ev["rise_time"] = nil },
		"empty":   func(ev map[string]any) { ev["rise_time"] = "" },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t)
			src := NewSource(c)
			if _, err := src.Tenants(t.Context()); err != nil {
				t.Fatal(err)
			}
			var id any
			srv.InjectFault("EventProcessing.GetRecordRange", ksctest.Fault{Rewrite: rewrite(t, func(m map[string]any) {
				evs := m["pParamsEvents"].(map[string]any)["KLEVP_EVENT_RANGE_ARRAY"].([]any)
				ev := evs[len(evs)-1].(map[string]any)["value"].(map[string]any)
				id = ev["event_db_id"]
				if typed, ok := id.(map[string]any); ok {
					id = typed["value"]
				}
				edit(ev)
			})})
			evs, err := src.Events(t.Context(), vsAlpha.UID, t0.AddDate(0, 0, -1))
			if evs != nil {
				t.Errorf("events %+v returned with the error", evs)
			}
			wantIncomplete(t, err, "rise_time is missing, null or empty")
			if id == nil || !strings.Contains(err.Error(), fmt.Sprintf(`event_db_id "%v"`, id)) {
				t.Errorf("error %q does not name the event (event_db_id %v)", err, id)
			}
			wantReleased(t, srv)
		})
	}
}
