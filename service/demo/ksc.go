package demo

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/kaspersky"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksc"
	"github.com/mspkit/kaspersky-tigerpaw/kaspersky/ksctest"
	"github.com/mspkit/kaspersky-tigerpaw/mapping"
)

// The credentials of the fake consoles: User and Password on KSC, Email and
// Password on Business Hub.
const (
	User     = "integration"
	Password = "demo-only-password"
)

// HTTPClientFunc makes the HTTP client of a fake console's client: api is
// "ksc" or "hub" (the metrics' api label), roots the fake's root CAs.
type HTTPClientFunc func(api string, roots *x509.CertPool) *http.Client

// WindowsWorkstation is the CTYPE of a Windows NT workstation.
const WindowsWorkstation = ksc.CTypeWorkstation | 0x400000 | 0x1000

// NewKSC starts and seeds a fake KSC: Contoso runs Kaspersky Endpoint Security
// for Business Advanced on 90 Windows workstations and 10 Windows servers (the
// seed's example) plus 2 Linux hosts, with a trial key held in reserve on some;
// Fabrikam runs Select on 20 workstations, one of which (FAB-WS-03) has
// out-of-date databases and many viruses detected.
func NewKSC(now time.Time) *ksctest.Server {
	k := ksctest.NewServer()
	k.AddUser(ksctest.User{Name: User, Password: Password, Internal: true})
	k.AddVirtualServer(ksctest.VirtualServer{ID: 1, UID: "vs-contoso", DisplayName: "Contoso", ManagedGroupID: 10, Enabled: true})
	k.AddVirtualServer(ksctest.VirtualServer{ID: 2, UID: "vs-fabrikam", DisplayName: "Fabrikam", ManagedGroupID: 20, Enabled: true})

	adv := ksctest.Key{Serial: "ADV-0001", ProductName: "Kaspersky Endpoint Security for Business Advanced", KeyType: 1, LimitDate: now.AddDate(1, 0, 0), LicCount: 150}
	trial := ksctest.Key{Serial: "TRY-0001", ProductName: "Kaspersky Endpoint Security for Business Advanced", KeyType: 3, LimitDate: now.AddDate(0, 1, 0), LicCount: 5}
	k.AddKey("Contoso", adv)
	k.AddKey("Contoso", trial)
	for i := range 102 {
		h := ksctest.Host{Hostname: fmt.Sprintf("c-%03d", i), OSName: "Windows 11 Pro", CType: WindowsWorkstation}
		switch {
		case i >= 100:
			h.OSName, h.CType = "Ubuntu 24.04", 0x200000
		case i >= 90:
			h.OSName, h.CType = "Windows Server 2022", 36871
		}
		h.DisplayName = h.Hostname
		h.LastVisible = now.Add(-time.Hour)
		k.AddHost("Contoso", h)
		k.AddKeyHost(adv.Serial, ksctest.KeyHost{Hostname: h.Hostname, Current: true, Product: adv.ProductName})
		if i < 5 {
			k.AddKeyHost(trial.Serial, ksctest.KeyHost{Hostname: h.Hostname, Current: false, Product: trial.ProductName})
		}
	}
	k.AddEvent("Contoso", ksctest.Event{ID: 7001, Type: "GNRL_EV_VIRUS_FOUND", TypeName: "Malicious object detected",
		RiseTime: now.Add(-20 * time.Minute), Hostname: "c-007", HostDN: "c-007", Severity: 4,
		Description: "Trojan.Win32.Generic detected in C:\\Users\\Public\\invoice.exe", ProductName: "Kaspersky Endpoint Security for Windows"})

	sel := ksctest.Key{Serial: "SEL-0001", ProductName: "Kaspersky Endpoint Security for Business Select", KeyType: 1, LimitDate: now.AddDate(0, 6, 0), LicCount: 25}
	k.AddKey("Fabrikam", sel)
	for i := range 20 {
		h := ksctest.Host{Hostname: fmt.Sprintf("f-%03d", i), DisplayName: fmt.Sprintf("FAB-WS-%02d", i), OSName: "Windows 10 Pro",
			CType: WindowsWorkstation, LastVisible: now.Add(-time.Hour)}
		if i == 3 {
			h.StatusID, h.StatusMask = 2, 1<<3|1<<7 // Warning: many viruses, databases out of date
		}
		k.AddHost("Fabrikam", h)
		k.AddKeyHost(sel.Serial, ksctest.KeyHost{Hostname: h.Hostname, Current: true, Product: sel.ProductName})
	}
	return k
}

func kscConsole(now time.Time, log *slog.Logger, client HTTPClientFunc) (*Console, error) {
	k := NewKSC(now)
	c, err := ksc.NewClient(k.URL, ksc.WithCredentials(ksc.Credentials{User: User, Password: Password, Internal: true}),
		ksc.WithHTTPClient(client("ksc", k.CertPool())), ksc.WithLogger(log))
	if err != nil {
		k.Close()
		return nil, err
	}
	return &Console{
		Source: ksc.NewSource(c),
		PriceBook: mapping.PriceBook{BillByCategory: true, Apps: []mapping.AppItems{
			mapping.ItemsByCategory(kaspersky.AppKESBAdvanced, "KESB-ADV-WS", "KESB-ADV-SRV", "KESB-ADV-NW"),
			mapping.ItemsByCategory(kaspersky.AppKESBSelect, "KESB-SEL-WS", "KESB-SEL-SRV", "KESB-SEL-NW"),
		}},
		Change: func() string {
			k.UpdateHost("Fabrikam", ksctest.Host{Hostname: "f-003", DisplayName: "FAB-WS-03", OSName: "Windows 10 Pro",
				CType: WindowsWorkstation, StatusID: 2, StatusMask: 1 << 3, LastVisible: now})
			return "FAB-WS-03's databases updated"
		},
		Close: func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c.Close(ctx)
			k.Close()
		},
	}, nil
}
