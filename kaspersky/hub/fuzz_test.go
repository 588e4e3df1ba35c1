package hub

import (
	"errors"
	"testing"
)

// FuzzDecodeResponse feeds arbitrary bodies and statuses to the response
// decoder with every shape the client reads, and the decoded values to the
// mappings: errors are fine, panics and empty error texts are not.
func FuzzDecodeResponse(f *testing.F) {
	f.Add(200, []byte(`{"items":[{"id":"d1","name":"WS","platform":"windows","kind":"workstation","userId":"u1","status":"warning","statusDescriptions":[{"code":"databases-outdated","text":"x"}]}],"nextPage":2}`))
	f.Add(200, []byte(`{"items":[{"id":"l1","product":"kes-cloud","type":"commercial","state":"active","expiresAt":"2027-01-01T00:00:00Z","capacity":5,"users":["u1"],"mailboxes":0}],"nextPage":null}`))
	f.Add(200, []byte(`{"items":[{"id":"e","time":"2026-11-01T00:00:00Z","severity":"critical","type":"t","deviceId":"d","description":"x"}]}`))
	f.Add(200, []byte(`{"items":[{"id":"o","time":"2026-11-01T00:00:00Z","type":"license-issue","description":"x","active":true}]}`))
	f.Add(200, []byte(`{"mailboxesProtected":true,"licenseOk":false,"protectedMailboxes":12}`))
	f.Add(200, []byte(`{"token":"t","expiresAt":"2026-11-29T10:00:00Z"}`))
	f.Add(404, []byte(`{"error":{"code":"company-not-found","message":"no"}}`))
	f.Add(500, []byte(`{"error":{"code":5,"message":null}}`))
	f.Add(429, []byte(``))
	f.Add(200, []byte(`{"items":[{"id":1}]}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		check := func(err error) {
			if err == nil {
				return
			}
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			var ae *APIError
			if (status < 200 || status > 299) != errors.As(err, &ae) {
				t.Fatalf("status %d gave %T: %v", status, err, err)
			}
			if ae != nil && len(ae.Body) > maxErrorBody+len("…") {
				t.Fatalf("body excerpt of %d bytes", len(ae.Body))
			}
		}
		var devices page[Device]
		err := decodeResponse("GET", "/p", status, body, &devices)
		check(err)
		if err == nil {
			for _, d := range devices.Items {
				kd := DeviceOf("t", d)
				if !kd.Category.Valid() {
					t.Fatalf("invalid category for %+v", d)
				}
				seen := map[string]bool{}
				for _, sd := range kd.Descriptions {
					if sd.Code == "" || seen[string(sd.Code)] {
						t.Fatalf("empty or repeated code in %+v", kd.Descriptions)
					}
					seen[string(sd.Code)] = true
				}
			}
		}
		var licenses page[License]
		if err := decodeResponse("GET", "/p", status, body, &licenses); err == nil {
			for _, l := range licenses.Items {
				kl, err := LicenseOf(l, devices.Items)
				if err == nil && (kl.Capacity < 0 || kl.Mailboxes < 0) {
					t.Fatalf("negative quantities in %+v", kl)
				}
			}
		} else {
			check(err)
		}
		var events page[Event]
		if err := decodeResponse("GET", "/p", status, body, &events); err == nil {
			for _, e := range events.Items {
				_ = EventOf("t", e)
			}
		}
		var o365 page[Office365Event]
		if err := decodeResponse("GET", "/p", status, body, &o365); err == nil {
			for _, e := range o365.Items {
				_ = Office365EventOf("t", e)
			}
		}
		var st Office365Status
		check(decodeResponse("GET", "/p", status, body, &st))
	})
}
