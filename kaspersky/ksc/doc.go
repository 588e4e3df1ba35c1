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
// released when the loop ends, however it ends (also when the answer that
// opened the set does not decode, if it names its handle). A result set whose
// session ends while it is read is re-run from the start; items already
// yielded are not yielded again.
//
// A read is complete or it is an error wrapping [ErrIncomplete]. Every result
// set is checked against the count the server announced (FindHosts' count or
// ChunkAccessor.GetItemsCount, lKeyCount of EnumKeys and AcquireKeyHosts,
// EventProcessing.GetRecordCount): an empty page before that count, an end mark
// (bEOF) before it, an empty page without the end mark, a page that only
// repeats items, more items than announced and a count that cannot be read are
// errors. Answers are decoded strictly: a missing or null list, a null
// element, an element without its identity (KLHST_WKS_HOSTNAME, KLLIC_SERIAL,
// KLLICSRV_HOSTNAME, event_db_id, KLVSRV_DN) or an answer of another shape is
// an error naming the method and the field, never an empty list. Items are
// yielded as they are read: a caller acting on what is absent from a set
// collects it first ([Client.Hosts], [Client.Keys], [Client.KeyHostList] do)
// and acts only when no error ended the loop.
//
// Memory is bounded: a response body is read up to 64 MB (larger ones are an
// error), an array in an answer is decoded one element at a time up to 100,000
// elements (the largest chunk [WithChunkSize] allows), and a PxgError up to
// 64 KB, so that decoding a body takes at most about twice the body cap.
//
// When the server refuses the credentials, the client sends no further login
// with them for a hold-off period ([WithAuthHoldOff], default
// [DefaultAuthHoldOff]): calls fail at once with an error wrapping
// [ErrUnauthorized] (which matches kaspersky.ErrUnauthorized too) that says
// until when, so a wrong password costs one failed login, not one per tenant.
//
// The base URL must be https: an http URL is refused, since the password and
// session ids would travel in clear, unless [WithInsecureHTTP] is given.
//
// Secrets (the password, session ids) appear in no error, log record or
// formatted value.
package ksc
