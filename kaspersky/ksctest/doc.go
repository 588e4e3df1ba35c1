// Package ksctest is an in-process fake of the Kaspersky Security Center Open
// API, for tests of code that talks to KSC through package kaspersky/ksc.
//
// The fake serves HTTPS with a self-signed certificate, keeps state (users,
// virtual servers, hosts, license keys and the hosts using them, events),
// authenticates KSCBasic logins and sessions, and serves every list through the
// result-set family a real server uses (ChunkAccessor, GroupSyncIterator,
// EventProcessing). It is strict where servers are: missing arguments, unknown
// attribute names, unescaped filters and wrapped top-level params are refused
// with a PxgError. Tests can inject faults and check that no result set was
// left open. A fault ([Server.InjectFault], [Fault]) can delay, drop or refuse
// a call, or replace its answer (Fault.Body) or rewrite the real answer
// (Fault.Rewrite) to make it short, malformed or shape-less, on every virtual
// server or one (Fault.VirtualServer).
//
// Start with [NewServer]:
//
//	srv := ksctest.NewServer()
//	defer srv.Close()
//	srv.AddUser(ksctest.User{Name: "api", Password: "secret", Internal: true})
//	c, err := ksc.NewClient(srv.URL, ksc.WithRootCAs(srv.CertPool()),
//		ksc.WithCredentials(ksc.Credentials{User: "api", Password: "secret", Internal: true}))
package ksctest
