package service

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// route is an extra handler of the HTTP server, e.g. the web console.
type route struct {
	// Pattern is an http.ServeMux pattern, e.g. "/console/".
	Pattern string
	Handler http.Handler
}

// newMux builds the runtime's HTTP handler: /healthz, /readyz, /status,
// /metrics, then the extra routes (the console).
func (s *Service) newMux(extra ...route) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := s.status.ready(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, err)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		body, err := s.status.statusJSON()
		if err != nil {
			http.Error(w, "status: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	for _, r := range extra {
		mux.Handle(r.Pattern, r.Handler)
	}
	return mux
}

// listenAddr makes a port alone ("9464" or ":9464") a loopback address.
func listenAddr(addr string) string {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = ":" + addr
	}
	host, port, err := net.SplitHostPort(addr)
	if err == nil && host == "" {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

// serve starts the HTTP server on addr; the returned func stops it.
func (s *Service) serve(addr string) (func(), error) {
	ln, err := net.Listen("tcp", listenAddr(addr))
	if err != nil {
		return nil, asConfigError(fmt.Errorf("-listen %s: %w", addr, err))
	}
	extra, err := s.consoleRoutes(listenAddr(addr))
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv := &http.Server{Handler: s.newMux(extra...), ReadHeaderTimeout: 10 * time.Second}
	s.addr = ln.Addr().String()
	s.log.Info("listening", "addr", s.addr)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("the HTTP server stopped", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
