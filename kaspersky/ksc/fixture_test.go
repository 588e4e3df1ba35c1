package ksc

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksctest"
)

const (
	testUser     = "api-user"
	testPassword = "s3cr3t-Pa55\"word"
)

// t0 is the fixture's "now".
var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

var (
	vsAlpha = ksctest.VirtualServer{ID: 1, UID: "vs-alpha-uid", DisplayName: "Alpha Ltd", ManagedGroupID: 10, Enabled: true}
	vsBeta  = ksctest.VirtualServer{ID: 2, UID: "vs-beta-uid", DisplayName: `Beta "Quoted" Co`, ManagedGroupID: 20, Enabled: true}
)

// seed fills srv with the fixture used by the tests over HTTP.
func seed(srv *ksctest.Server) {
	srv.AddUser(ksctest.User{Name: testUser, Password: testPassword, Internal: true})
	srv.AddUser(ksctest.User{Name: "jdoe", Password: "domain-pw", Domain: "CORP"})
	srv.AddVirtualServer(vsAlpha)
	srv.AddVirtualServer(vsBeta)
	srv.AddVirtualServer(ksctest.VirtualServer{ID: 3, UID: "vs-off-uid", DisplayName: "Gone Inc", ManagedGroupID: 30})

	a := vsAlpha.DisplayName
	seen := t0.Add(-time.Hour)
	srv.AddHost(a, ksctest.Host{Hostname: "h-srv", DisplayName: "SRV-2016", OSName: "Microsoft Windows Server 2016", CType: 36871, StatusID: 0, LastVisible: seen})
	srv.AddHost(a, ksctest.Host{Hostname: "h-ws", DisplayName: "WS-01", OSName: "Microsoft Windows 11 Pro", CType: 0x401001, StatusID: 2, StatusMask: 1 << 11})
	srv.AddHost(a, ksctest.Host{Hostname: "h-lnx", DisplayName: "web-01", OSName: "Ubuntu 24.04", CType: 0x200002, StatusID: 0})
	srv.AddHost(a, ksctest.Host{Hostname: "h-sick", DisplayName: "WS-02", OSName: "Microsoft Windows 10 Pro", CType: 0x401001, StatusID: 1,
		StatusMask: 1<<3 | 1<<7, MaskAsPlainInt: true})
	srv.AddHost(a, ksctest.Host{Hostname: "h-noctype", DisplayName: "WS-03", OSName: "Microsoft Windows Server 2022 Standard", NoCType: true, StatusID: 0})
	// A host of another group is not part of the tenant.
	srv.AddHost(a, ksctest.Host{Hostname: "h-other", DisplayName: "elsewhere", CType: 0x401001, GroupID: 99})
	srv.AddHost(vsBeta.DisplayName, ksctest.Host{Hostname: "h-beta", DisplayName: "BETA-01", CType: 0x401001})

	future := t0.AddDate(1, 0, 0)
	past := t0.AddDate(0, -1, 0)
	const adv = "Kaspersky Endpoint Security for Business - Advanced"
	keys := []ksctest.Key{
		{Serial: "K-COM", ProductName: adv, AppID: 1103, KeyType: 1, LimitDate: future, LicCount: 100, HostsAsCurrent: 2},
		{Serial: "K-COM-EXP", ProductName: adv, AppID: 1103, KeyType: 1, LimitDate: past, LicCount: 50},
		{Serial: "K-SUB", ProductName: "Kaspersky Endpoint Security for Business Select", AppID: 1103, KeyType: 6, LimitDate: future, LicCount: 10,
			IsSubscription: true, SubscriptionState: 0, SubscriptionEnd: future},
		{Serial: "K-SUB-PAUSED", ProductName: "Kaspersky Endpoint Security for Business Select", AppID: 1103, KeyType: 6, LimitDate: future,
			LicCount: 10, IsSubscription: true, SubscriptionState: 1, SubscriptionEnd: future},
		{Serial: "K-TRIAL", ProductName: adv, KeyType: 3, LimitDate: future, LicCount: 5},
		{Serial: "K-BETA", ProductName: "Kaspersky Fancy Beta", KeyType: 2, LimitDate: future},
		{Serial: "K-TEST", ProductName: adv, KeyType: 4, LimitDate: future},
		{Serial: "K-OEM", ProductName: adv, KeyType: 5, LimitDate: future},
	}
	for _, k := range keys {
		srv.AddKey(a, k)
	}
	srv.AddKeyHost("K-COM", ksctest.KeyHost{Hostname: "h-ws", Current: true, Product: adv})
	srv.AddKeyHost("K-COM", ksctest.KeyHost{Hostname: "h-srv", Current: true, Product: adv})
	srv.AddKeyHost("K-COM", ksctest.KeyHost{Hostname: "h-lnx", Current: false, Product: adv})
	srv.AddKeyHost("K-COM-EXP", ksctest.KeyHost{Hostname: "h-sick", Current: true, Product: adv})
	srv.AddKeyHost("K-SUB", ksctest.KeyHost{Hostname: "h-lnx", Current: true})
	srv.AddKeyHost("K-SUB-PAUSED", ksctest.KeyHost{Hostname: "h-noctype", Current: true})

	for i, sev := range []int{1, 2, 3, 4} {
		srv.AddEvent(a, ksctest.Event{ID: int64(1000 + i), Type: "evt" + string(rune('A'+i)), TypeName: "Event " + string(rune('A'+i)),
			RiseTime: t0.Add(-time.Duration(4-i) * time.Hour), Hostname: "h-ws", HostDN: "WS-01", Severity: sev,
			Description: "description " + string(rune('A'+i)), ProductName: "KES"})
	}
	// Outside the window used by the tests.
	srv.AddEvent(a, ksctest.Event{ID: 999, Type: "old", RiseTime: t0.AddDate(0, 0, -10), Severity: 4, Hostname: "h-ws"})
	srv.AddEvent(vsBeta.DisplayName, ksctest.Event{ID: 5000, Type: "beta", RiseTime: t0.Add(-time.Hour), Severity: 2})
}

// setup starts a seeded fake and a client of it.
func setup(t *testing.T, opts ...Option) (*ksctest.Server, *Client) {
	t.Helper()
	srv := ksctest.NewServer()
	t.Cleanup(srv.Close)
	seed(srv)
	base := []Option{
		WithRootCAs(srv.CertPool()),
		WithCredentials(Credentials{User: testUser, Password: testPassword, Internal: true}),
		WithRetryPolicy(RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Second}),
		WithClock(func() time.Time { return t0 }),
	}
	c, err := NewClient(srv.URL, append(base, opts...)...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return srv, c
}

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newTestLogger(w *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
