package main

import (
	"net/http"
	"net/http/pprof"
	"time"
)

// pprofServer serves Go's profiles (net/http/pprof) on the operator's
// address PPROF_ADDR, apart from the API: it is opt-in, has no token, and so
// belongs on a loopback or otherwise private address. A CPU profile of a
// live server is then one command:
//
//	go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=30
func pprofServer(addr string) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
}
