package main

// extraRoutes are the handlers mounted on the -listen server next to
// /healthz, /readyz, /status and /metrics: the place to add, e.g., a web
// console. d is the running daemon (its store, jobs and logger).
func extraRoutes(d *daemon) []route {
	_ = d
	return nil
}
