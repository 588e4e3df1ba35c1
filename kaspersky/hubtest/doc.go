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
// list, and lets a test inject faults (a status with an optional Retry-After, a
// delay, a dropped connection) into the next requests matching a method and
// path, and count the requests it served.
//
// Start with [NewServer]:
//
//	srv := hubtest.NewServer(hubtest.WithTLS())
//	defer srv.Close()
//	srv.AddUser("msp@example.com", "secret")
//	_ = srv.AddCompany(hubtest.Company{ID: "c1", Name: "Contoso"})
//	c, err := hub.NewClient(srv.URL, hub.WithHTTPClient(srv.Client()),
//		hub.WithCredentials(hub.Credentials{Email: "msp@example.com", Password: "secret"}))
package hubtest
