package main

// extraRoutes are the handlers mounted on the -listen server at addr next to
// /healthz, /readyz, /status and /metrics: the configuration console under
// /console/ (see console.go). d is the running daemon (its store, jobs and
// logger).
func extraRoutes(d *daemon, addr string) ([]route, error) {
	return d.consoleRoutes(addr)
}
