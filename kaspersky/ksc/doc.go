// Package ksc is a typed client of the Kaspersky Security Center (KSC) Open API,
// limited to what the integration reads: virtual servers, hosts, license keys
// and the hosts using them, and events. [Source] adapts it to
// kaspersky.Source.
//
// Start with [NewClient]:
//
//	c, err := ksc.NewClient("https://ksc.example.com:13299",
//		ksc.WithCredentials(ksc.Credentials{User: "api", Password: pw, Internal: true}),
//		ksc.WithRootCAs(pool)) // the server's self-signed certificate
//	if err != nil { … }
//	defer c.Close(ctx)
//	src := ksc.NewSource(c)
//	tenants, err := src.Tenants(ctx)
//
// The client verifies the server's certificate (against the system roots or the
// pool of WithRootCAs) unless the caller supplies an *http.Client of their own.
// It signs in with KSCBasic and works through sessions (Session.StartSession and
// the X-KSC-Session header), one per virtual server, started on first use and
// started again once when the server answers 403. Close ends them.
//
// Values travel in KSC's encoding, with long, datetime, date, binary, float,
// double and nested params wrapped as {"type": T, "value": V}; [EncodeValue],
// [EncodeArgs] and [DecodeValue] implement it. Every response is checked for a
// PxgError whatever its HTTP status; it is returned as a [*PxgError].
//
// Lists come through iterators ([Client.FindHosts], [Client.EnumKeys],
// [Client.KeyHosts], [Client.Events]) over server-side result sets, which are
// released when the loop ends, however it ends. A result set whose session ends
// while it is read is re-run from the start; items already yielded are not
// yielded again.
//
// Secrets (the password, session ids) appear in no error, log record or
// formatted value.
package ksc
