package console

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestSecretSharedByReplicas: two consoles over one store (two replicas
// behind one address) accept each other's forms when they share
// Options.Secret, and refuse them when they do not; a short secret is
// refused at New.
func TestSecretSharedByReplicas(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef-replicas")
	for _, tc := range []struct {
		name   string
		a, b   []byte
		wantOK bool
	}{
		{"same secret", secret, secret, true},
		{"different secrets", secret, []byte("another secret of 16+"), false},
		{"no secret", nil, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.opts.Secret = tc.a
			a := w.serve(t)
			w.opts.Secret = tc.b
			b := w.serve(t)
			f, _ := productPage(t, a, strconv.Itoa(otherProduct))
			before := w.saved(t)
			code, body := b.post("/externalproduct", f)
			got := w.saved(t)
			if tc.wantOK {
				if code != http.StatusOK || !strings.Contains(body, "Saved") || got.ExternalProductID != otherProduct {
					t.Errorf("a form served by one replica, posted to the other: %d, stored product %d\n%s", code, got.ExternalProductID, body)
				}
				return
			}
			if code != http.StatusForbidden || !strings.Contains(body, "CSRF") {
				t.Errorf("a form posted to a replica with another key: %d, want 403 naming the CSRF token\n%s", code, body)
			}
			if got.Revision != before.Revision || got.ExternalProductID != before.ExternalProductID {
				t.Errorf("a refused form changed the store: revision %d -> %d", before.Revision, got.Revision)
			}
		})
	}
	w := newWorld(t)
	w.opts.Secret = []byte("short")
	if _, err := New(w.opts); err == nil || !strings.Contains(err.Error(), "Options.Secret") {
		t.Errorf("New with a 5-byte secret: %v, want an error naming Options.Secret", err)
	}
}
