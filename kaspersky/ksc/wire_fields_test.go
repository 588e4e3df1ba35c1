package ksc

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
)

func TestFlexFields(t *testing.T) {
	t.Parallel()
	ints := []struct {
		in   string
		want flexInt
		ok   bool
	}{
		{`5`, flexInt{5, true}, true},
		{`-5`, flexInt{-5, true}, true},
		{`18446744073709551615`, flexInt{-1, true}, true},
		{`null`, flexInt{}, true},
		{`true`, flexInt{1, true}, true},
		{`false`, flexInt{0, true}, true},
		{`{"type":"long","value":9}`, flexInt{9, true}, true},
		{`{"type":"long","value":"10"}`, flexInt{10, true}, true},
		{`{"type":"long","value":null}`, flexInt{}, true},
		{`{"type":"int","value":3}`, flexInt{3, true}, true},
		{`{"type":"datetime","value":3}`, flexInt{}, false},
		{`{"type":"long","value":"x"}`, flexInt{}, false},
		{`{"type":"long","value":"\x"}`, flexInt{}, false},
		{`1.5`, flexInt{}, false},
		{`"7"`, flexInt{}, false},
		{`{`, flexInt{}, false},
		{`[]`, flexInt{}, false},
	}
	for _, tt := range ints {
		var f flexInt
		err := f.UnmarshalJSON([]byte(tt.in))
		if (err == nil) != tt.ok || (tt.ok && f != tt.want) {
			t.Errorf("flexInt(%s) = %+v, %v", tt.in, f, err)
		}
	}
	if err := new(flexInt).UnmarshalJSON(nil); err == nil {
		t.Error("flexInt(empty) succeeded")
	}
	day := time.Date(2025, 4, 27, 0, 0, 0, 0, time.UTC)
	times := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{`""`, time.Time{}, true},
		{`null`, time.Time{}, true},
		{`"2025-04-27T00:00:00Z"`, day, true},
		{`{"type":"datetime","value":"2025-04-27T00:00:00Z"}`, day, true},
		{`{"type":"datetime","value":""}`, time.Time{}, true},
		{`{"type":"datetime"}`, time.Time{}, true},
		{`{"type":"date","value":"2025-04-27"}`, day, true},
		{`{"type":"date","value":""}`, time.Time{}, true},
		{`{"type":"date","value":"x"}`, time.Time{}, false},
		{`{"type":"datetime","value":"x"}`, time.Time{}, false},
		{`{"type":"long","value":"1"}`, time.Time{}, false},
		{`{"type":"datetime","value":1}`, time.Time{}, false},
		{`"soon"`, time.Time{}, false},
		{`"\x"`, time.Time{}, false},
		{`5`, time.Time{}, false},
	}
	for _, tt := range times {
		var f flexTime
		err := f.UnmarshalJSON([]byte(tt.in))
		if (err == nil) != tt.ok || (tt.ok && !f.t.Equal(tt.want)) {
			t.Errorf("flexTime(%s) = %v, %v", tt.in, f.t, err)
		}
	}
	if err := new(flexTime).UnmarshalJSON(nil); err == nil {
		t.Error("flexTime(empty) succeeded")
	}
	var b flexBool
	if err := b.UnmarshalJSON([]byte(`1`)); err != nil || !b.v || !b.ok {
		t.Errorf("flexBool(1) = %+v, %v", b, err)
	}
	if err := b.UnmarshalJSON([]byte(`"x"`)); err == nil {
		t.Error("flexBool(string) succeeded")
	}
}

func TestItemArrayShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{`{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{"KLLICSRV_HOSTNAME":"a"}},{"KLLICSRV_HOSTNAME":"b"}]}`, []string{"a", "b"}, true},
		{`{"type":"params","value":{"KLCSP_ITERATOR_ARRAY":[{"KLLICSRV_HOSTNAME":"c"}]}}`, []string{"c"}, true},
		{`{"KLCSP_ITERATOR_ARRAY":[]}`, []string{}, true},
		// Shapes that decode but are not a list: an error when read.
		{`{"KLCSP_ITERATOR_ARRAY":[{"KLLICSRV_HOSTNAME":"b"},null]}`, nil, false},
		{`{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":null}]}`, nil, false},
		{`{"KLCSP_ITERATOR_ARRAY":null}`, nil, false},
		{`{}`, nil, false},
		{`null`, nil, false},
		{`{"KLCSP_ITERATOR_ARRAY":[1]}`, nil, false},
		{`{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{"KLLICSRV_HOSTNAME":5}}]}`, nil, false},
		{`[]`, nil, false},
	}
	for _, tt := range tests {
		var a itemArray[keyHostWire]
		err := json.Unmarshal([]byte(tt.in), &a)
		var list []keyHostWire
		if err == nil {
			list, err = a.list("M", "pData")
			if err != nil && !errors.Is(err, ErrIncomplete) {
				t.Errorf("%s: error %v does not wrap ErrIncomplete", tt.in, err)
			}
		}
		if (err == nil) != tt.ok {
			t.Errorf("%s: error %v", tt.in, err)
			continue
		}
		if !tt.ok {
			continue
		}
		got := []string{}
		for _, v := range list {
			got = append(got, v.Host)
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.in, d)
		}
	}
}

func TestCategoryAndLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		h    Host
		cat  kaspersky.Category
		lvl  kaspersky.StatusLevel
	}{
		{"Windows Server 2016", Host{CType: 36871, HasCType: true, HasStatusID: true}, kaspersky.WindowsServer, kaspersky.StatusOK},
		{"Windows workstation", Host{CType: CTypeWindows | CTypeWorkstation, HasCType: true, StatusID: HostWarning, HasStatusID: true}, kaspersky.WindowsWorkstation, kaspersky.StatusWarning},
		{"NT only", Host{CType: CTypeNT, HasCType: true, StatusID: HostCritical, HasStatusID: true}, kaspersky.WindowsWorkstation, kaspersky.StatusCritical},
		{"Linux server", Host{CType: CTypeLinux | CTypeServer, HasCType: true}, kaspersky.NonWindows, kaspersky.StatusOK},
		{"FreeBSD", Host{CType: CTypeFreeBSD | CTypeUnixServer, HasCType: true}, kaspersky.NonWindows, kaspersky.StatusOK},
		{"CTYPE 0 is not Windows", Host{CType: 0, HasCType: true, OSName: "Windows 10"}, kaspersky.NonWindows, kaspersky.StatusOK},
		{"no CTYPE, server OS", Host{OSName: "Microsoft Windows Server 2019"}, kaspersky.WindowsServer, kaspersky.StatusOK},
		{"no CTYPE, desktop OS", Host{OSName: "Windows 11 Enterprise"}, kaspersky.WindowsWorkstation, kaspersky.StatusOK},
		{"no CTYPE, macOS", Host{OSName: "macOS 14", StatusMask: 1 << 7}, kaspersky.NonWindows, kaspersky.StatusWarning},
		{"unknown status id", Host{StatusID: 9, HasStatusID: true, StatusMask: 1 << 40}, kaspersky.NonWindows, kaspersky.StatusOK},
	}
	for _, tt := range tests {
		if got := CategoryOf(tt.h); got != tt.cat {
			t.Errorf("%s: category %v, want %v", tt.name, got, tt.cat)
		}
		if got := LevelOf(tt.h); got != tt.lvl {
			t.Errorf("%s: level %v, want %v", tt.name, got, tt.lvl)
		}
	}
	all := DescriptionsOf(^uint64(0))
	if d := cmp.Diff(kaspersky.KnownStatuses[:], all); d != "" {
		t.Errorf("all bits (-want +got):\n%s", d)
	}
	if DescriptionsOf(1<<20) != nil {
		t.Error("bit 20 mapped to a description")
	}
	d := DeviceOf("t", Host{ID: "h", StatusMask: 1 << 25}, nil)
	if d.Name != "h" || len(d.Descriptions) != 0 {
		t.Errorf("DeviceOf without a display name = %+v", d)
	}
}

func TestLicenseTranslation(t *testing.T) {
	t.Parallel()
	end := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	k := Key{Serial: "S", ProductName: "Kaspersky Endpoint Security Cloud Plus", Type: 99, IsSubscription: true,
		SubscriptionState: SubscriptionHardCancelled, HasSubscriptionState: true, SubscriptionEnd: end, Count: 3}
	got := LicenseOf(k, []KeyHost{{HostID: "b", Current: false}, {HostID: "a"}, {HostID: "b", Current: true}, {HostID: ""}, {HostID: "c"}})
	want := kaspersky.License{ID: "S", Application: kaspersky.AppKESCloudPlus, ProductName: k.ProductName, Type: kaspersky.KeySubscription,
		State: kaspersky.StateCancelled, Expires: end, Capacity: 3, ActiveDevices: []string{"b"}, ReserveDevices: []string{"a", "c"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("LicenseOf (-want +got):\n%s", d)
	}
	states := map[SubscriptionState]kaspersky.LicenseState{
		SubscriptionActive: kaspersky.StateActive, SubscriptionPaused: kaspersky.StatePaused,
		SubscriptionSoftCancelled: kaspersky.StateSoftCancelled, SubscriptionHardCancelled: kaspersky.StateCancelled, 7: kaspersky.StateUnspecified,
	}
	for in, want := range states {
		if got := StateOf(Key{SubscriptionState: in, HasSubscriptionState: true}); got != want {
			t.Errorf("StateOf(%d) = %v, want %v", in, got, want)
		}
	}
	if KeyTypeOf(0) != kaspersky.KeyUnknown || SeverityOf(0) != kaspersky.SeverityNone {
		t.Error("unknown codes not mapped to unknown")
	}
}

func TestHostChunkShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
		raw  int
		ok   bool
	}{
		{`{"pChunk":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{"KLHST_WKS_HOSTNAME":"a"}},{"KLHST_WKS_HOSTNAME":"b"}]}}`,
			[]string{"a", "b"}, 2, true},
		{`{"pChunk":{"type":"params","value":{"KLCSP_ITERATOR_ARRAY":[{"KLHST_WKS_HOSTNAME":"c"}]}}}`, []string{"c"}, 1, true},
		{`{"pChunk":{"KLCSP_ITERATOR_ARRAY":[]}}`, []string{}, 0, true},
		// Incomplete or shape-less answers are errors, never an empty chunk.
		{`{"pChunk":{"KLCSP_ITERATOR_ARRAY":[{"KLHST_WKS_HOSTNAME":"a"},null]}}`, nil, 0, false},
		{`{"pChunk":{"KLCSP_ITERATOR_ARRAY":[{"type":"params","value":{}}]}}`, nil, 0, false},
		{`{"pChunk":{"KLCSP_ITERATOR_ARRAY":[{"KLHST_WKS_DN":"no id"}]}}`, nil, 0, false},
		{`{"pChunk":{"KLCSP_ITERATOR_ARRAY":null}}`, nil, 0, false},
		{`{"pChunk":{}}`, nil, 0, false},
		{`{"pChunk":null}`, nil, 0, false},
		{`{}`, nil, 0, false},
		{`{"PxgRetVal":"aaaa"}`, nil, 0, false},
		{`{"pChunk":{"type":"params","value":{"KLCSP_ITERATOR_ARRAY":1}}}`, nil, 0, false},
	}
	for _, tt := range tests {
		var out hostChunkResponse
		if err := json.Unmarshal([]byte(tt.in), &out); err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		items, err := out.chunkItems()
		raw := len(items)
		if (err == nil) != tt.ok {
			t.Errorf("%s: error %v", tt.in, err)
			continue
		}
		if !tt.ok {
			continue
		}
		got := []string{}
		for _, w := range items {
			got = append(got, w.Hostname)
		}
		if d := cmp.Diff(tt.want, got); d != "" || raw != tt.raw {
			t.Errorf("%s: raw %d (-want +got):\n%s", tt.in, raw, d)
		}
	}
	if _, err := decodeHostChunk([]byte(`{"pChunk":{"type":"params","value":{"KLCSP_ITERATOR_ARRAY":"x"}}}`)); err == nil {
		t.Error("decodeHostChunk accepted a bad wrapped chunk")
	}
}
