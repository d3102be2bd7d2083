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

// runProxy is the floor: a bare httputil.ReverseProxy hop, by default on
// net/http's own transport (with the gateway's pool sizes); -transport
// attest puts the gateway's upstream transport under the same proxy.
func runProxy(args []string) error {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:18003", "listen address")
	upstream := fs.String("upstream", "http://127.0.0.1:18001", "upstream base URL")
	transport := fs.String("transport", "std", "upstream transport: std (net/http's, the bare hop) or attest (the gateway's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*upstream)
	if err != nil {
		return err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	switch *transport {
	case "std":
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 1024, 512
		rp.Transport = t
	case "attest":
		rp.Transport = provider.NewTransport()
	default:
		return fmt.Errorf("unknown -transport %q: use std or attest", *transport)
	}
	rp.FlushInterval = -1 // flush streamed answers at once, as the gateway does
	fmt.Fprintf(os.Stderr, "proxy listening on %s -> %s\n", *addr, *upstream)
	return (&http.Server{Addr: *addr, Handler: rp}).ListenAndServe()
}
