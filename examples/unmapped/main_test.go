package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		accountType string
		want, not   []string
	}{
		{"", []string{"Fabrikam Inc", "Northwind Traders", "Litware Supplies"}, []string{"Contoso"}},
		{"customer", []string{"Fabrikam Inc"}, []string{"Contoso", "Northwind", "Litware"}},
		{"Vendor", []string{"Litware Supplies"}, []string{"Contoso", "Fabrikam", "Northwind"}},
	} {
		var out, errOut bytes.Buffer
		if code := runMain(t.Context(), []string{"-demo", "-type", tt.accountType}, &out, &errOut); code != 0 {
			t.Fatalf("-type %q: exit %d: %s", tt.accountType, code, errOut.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("-type %q: output lacks %q:\n%s", tt.accountType, w, out.String())
			}
		}
		for _, n := range tt.not {
			if strings.Contains(out.String(), n) {
				t.Errorf("-type %q: output lists %q:\n%s", tt.accountType, n, out.String())
			}
		}
	}
	if code := runMain(t.Context(), nil, &bytes.Buffer{}, &bytes.Buffer{}); code != 2 {
		t.Errorf("no flags: exit %d, want 2", code)
	}
}
