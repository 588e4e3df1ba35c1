package mapping_test

import (
	"fmt"
	"testing"

	"github.com/mspkit/kaspersky-tigerpaw/mapping"
	"github.com/mspkit/kaspersky-tigerpaw/mapping/mappingtest"
)

// large returns a configuration of n tenants, each mapped with billing on, and a
// directory that makes it valid.
func large(n int) (mapping.Config, *mappingtest.Directory) {
	d := mappingtest.NewDirectory()
	d.AddPriceLevel(mapping.PriceLevel{ID: 1})
	d.AddItem("KESB-WS", "KESB-SRV", "KESB-NW", "KESC-PLUS")
	ids := make([]string, n)
	accts := make([]int, n)
	for i := range n {
		ids[i] = fmt.Sprintf("vs-%d", i)
		accts[i] = 1000 + i
		d.AddAccount(mapping.Account{Number: accts[i], Type: "Customer"})
		d.CrossReference(accts[i], 7)
		d.AddAgreement(mapping.Agreement{Number: 10 * accts[i], Account: accts[i], Recurring: true})
	}
	return mappingtest.Sample("large", ids, accts...), d
}

func BenchmarkCheck(b *testing.B) {
	cfg, _ := large(1000)
	b.ReportAllocs()
	for b.Loop() {
		if err := cfg.Check(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/tenant")
}

func BenchmarkValidate(b *testing.B) {
	cfg, d := large(200)
	b.ReportAllocs()
	for b.Loop() {
		if err := mapping.Validate(b.Context(), cfg, d, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/200, "ns/tenant")
}

func BenchmarkSearchTenants(b *testing.B) {
	cfg, _ := large(10000)
	cfg.Tenants[9999].Name = "ÖZTÜRK Ltd"
	b.ReportAllocs()
	for b.Loop() {
		if got := mapping.SearchTenants(cfg.Tenants, "öztürk"); len(got) != 1 {
			b.Fatalf("found %d", len(got))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10000, "ns/tenant")
}

func BenchmarkUnmarshal(b *testing.B) {
	cfg, _ := large(1000)
	data, err := mapping.Marshal(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := mapping.Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}
