package main

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"

	"github.com/attest-ai/attest/internal/gateway/provider"
)

// runProxy is the floor: a bare reverse proxy hop with the same upstream
// transport settings as the gateway.
func runProxy(args []string) error {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:18003", "listen address")
	upstream := fs.String("upstream", "http://127.0.0.1:18001", "upstream base URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*upstream)
	if err != nil {
		return err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = provider.Transport()
	rp.FlushInterval = -1 // flush streamed answers at once, as the gateway does
	fmt.Fprintf(os.Stderr, "proxy listening on %s -> %s\n", *addr, *upstream)
	return (&http.Server{Addr: *addr, Handler: rp}).ListenAndServe()
}
