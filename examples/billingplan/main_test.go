package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestDemoPlan(t *testing.T) {
	t.Parallel()
	w, err := demoWorld(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	var out bytes.Buffer
	if err := printPlan(t.Context(), w, "vs-contoso", &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"+ agreement 1 item KESB-ADV-SRV qty 2 @ 11.00", "+ agreement 1 item KESB-ADV-WS qty 8 @ 4.20", "2 to create, 0 to update"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "agreement 2") {
		t.Errorf("the plan of one tenant holds another's agreement:\n%s", out.String())
	}
	if n := len(w.fake.Charges(1)) + len(w.fake.Charges(2)); n != 0 {
		t.Errorf("the plan was applied: %d charges", n)
	}
	if err := printPlan(t.Context(), w, "vs-nobody", &out); err == nil {
		t.Error("the plan of an unknown tenant was printed")
	}
}

func TestFlags(t *testing.T) {
	t.Parallel()
	if code := runMain(t.Context(), nil, &bytes.Buffer{}, &bytes.Buffer{}); code != 2 {
		t.Errorf("no flags: exit %d, want 2", code)
	}
	var out bytes.Buffer
	if code := runMain(t.Context(), []string{"-demo", "-tenant", "vs-fabrikam"}, &out, &bytes.Buffer{}); code != 0 ||
		!strings.Contains(out.String(), "+ agreement 2 item KESB-SEL-WS qty 4 @ 2.75") {
		t.Errorf("-demo -tenant vs-fabrikam: exit %d\n%s", code, out.String())
	}
}
