// Package service is the integration's runtime, the part of a deployment an
// MSP operates: a typed configuration read from a JSON file (Load), the
// clients of Tigerpaw and the Kaspersky console, the stores (files, or
// PostgreSQL shared by several replicas under a leader lease that fences
// every write), the billing and service order jobs on their schedules with a
// run-now trigger, the status board and readiness, and the HTTP server of
// /healthz, /readyz, /status, /metrics and the configuration console.
//
// It starts empty: with only the servers, the secrets and the store
// configured, each cycle finds the integration not configured (not failed),
// writes nothing and says what is missing; everything else is set in the
// console, and the next cycle (or Run now) uses it.
//
//	cfg, err := service.Load("daemon.json")
//	s, err := service.New(cfg, service.WithLogger(log), service.WithListen("127.0.0.1:9464"))
//	defer s.Close()
//	err = s.Run(ctx) // until ctx ends
//
// A dry run (Plan) needs no lock: WithReadOnly opens the stores for reading
// only, beside a service running on them (the file stores without their
// locks, PostgreSQL without migration nor lease), and refuses every write.
//
// cmd/kaspersky-tigerpawd is the reference command over it.
package service
