package billing

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A decisions file that is not exactly what the store writes is an error
// naming the file, never "no decision": an approval must not be lost, nor a
// rejection forgotten, on the strength of a damaged file.
func TestFileDecisionsRefusesAMalformedFile(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"trailing data":    `{"version":1,"decisions":[]} {}`,
		"key twice":        `{"version":1,"decisions":[],"decisions":[]}`,
		"unknown field":    `{"version":1,"decisions":[],"extra":1}`,
		"null":             `null`,
		"cut":              `{"version":1,"decisions":[{"key":"ab"`,
		"decision, no key": `{"version":1,"decisions":[{"approved":true}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "billing-decisions.json")
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			d, err := NewFileDecisions(path).Decisions(t.Context())
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("Decisions = %v, %v; want an error naming %s", d, err, path)
			}
		})
	}
}
