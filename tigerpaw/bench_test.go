package tigerpaw

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkDecodeCharges measures reading a list of 1000 additional charges as
// Tigerpaw writes them (decimal quantities, SQL money prices, zone-less dates).
func BenchmarkDecodeCharges(b *testing.B) {
	var items []string
	for i := 0; i < 1000; i++ {
		items = append(items, fmt.Sprintf(`{"DetailId":%d,"SpecialItemId":"KES-%d","ItemDescription":"Kaspersky item %d","Quantity":%d.0,"Price":%d.%02d00,"PriceLevel":1,"PriceLevelDescription":"Standard","Source":1,"SourceDescription":"API","DateAdded":"2024-01-31T13:45:00","UseFlatPrice":false}`,
			i+1, i%7, i, i%300, i%50, i%100))
	}
	body := []byte("[" + strings.Join(items, ",") + "]")
	loc := time.FixedZone("S", 3600)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var out []AdditionalCharge
		if err := decodeBody(body, &out, loc); err != nil || len(out) != 1000 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "charges/s")
}

// BenchmarkSign measures signing one request.
func BenchmarkSign(b *testing.B) {
	req, err := http.NewRequest(http.MethodGet, "https://tp.example.com/api/accounts/1052932", nil)
	if err != nil {
		b.Fatal(err)
	}
	k := &credentials{public: "public", private: "private-key-of-some-length"}
	now := time.Date(2015, 6, 18, 7, 25, 43, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		sign(req, k, now)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signatures/s")
}
