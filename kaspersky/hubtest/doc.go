// Package hubtest is an in-process fake of the Kaspersky Business Hub contract
// that this module defines (see package kaspersky/hub), for tests of code that
// reads Business Hub through package kaspersky/hub.
//
// Kaspersky publishes no Business Hub API. The fake serves the module's own
// small JSON contract, not Kaspersky's protocol.
//
// The fake keeps state seeded through its Go API (users, companies, devices,
// licenses, KES Cloud events, Office 365 events and status), issues bearer
// tokens at login and refuses unknown or expired ones with 401, pages every
// list (each page carries the list's "total"), and lets a test inject faults
// (a status with an optional Retry-After, a delay, a dropped connection) into
// the next requests matching a method, a path and optionally a page, and count
// the requests it served.
//
// A fault can also stand for a malformed or partial answer: Fault.Body
// replaces the answer of the matching request with the given bytes (status 200
// unless Fault.Status says otherwise), and Fault.Rewrite serves the request
// and passes its JSON body through a function before sending it, e.g. to drop
// items from a page while its total stays, null an element or remove its id:
//
//	srv.InjectFault(hubtest.Fault{Path: "/api/v1/companies/c1/devices", Page: 2,
//		Rewrite: func(b []byte) []byte { return bytes.Replace(b, []byte(`"id":"d7",`), nil, 1) }})
//
// Start with [NewServer]:
//
//	srv := hubtest.NewServer(hubtest.WithTLS())
//	defer srv.Close()
//	srv.AddUser("msp@example.com", "secret")
//	_ = srv.AddCompany(hubtest.Company{ID: "c1", Name: "Contoso"})
//	c, err := hub.NewClient(srv.URL, hub.WithRootCAs(srv.CertPool()),
//		hub.WithCredentials(hub.Credentials{Email: "msp@example.com", Password: "secret"}))
package hubtest
