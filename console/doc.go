// Package console is the integration's configuration window as a web page: the
// Companies, Accounts, Service orders and Price book items tabs of the product,
// plus read-only Billing plan and Unmapped accounts views. Its first page, the
// Overview, shows the state of the integration's jobs when [Options.Runtime]
// is set, with what is missing before they can run and a Run now button each.
//
// It is an [http.Handler] an embedder mounts (the reference daemon serves it
// under -listen):
//
//	h, err := console.New(console.Options{
//		Store: store, Directory: dir, Integration: "main", Solution: mapping.SolutionKSC,
//		Source: src, Rules: rulesStore, Lookups: lookups, // e.g. serviceorder.NewMemoryRules()
//	})
//
// Pages are rendered on the server from html/template; every change is staged
// in the posted form until Save changes, which validates the whole section
// (against Tigerpaw through the [mapping.Directory] and [serviceorder.Lookups])
// and stores it all or nothing. A save based on an outdated revision is refused
// and reported, never written over the other save. Every form carries a CSRF
// token, and a post from a page of another origin (its Origin header) is
// refused. Without credentials in [Options] only loopback clients asking for a
// loopback host name (localhost, 127.0.0.1, [::1]) are served, which keeps a
// DNS-rebinding page (its own name resolved to 127.0.0.1) from reading or
// posting the forms.
package console
