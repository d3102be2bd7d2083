// Command gateway-bench measures what the attest gateway adds to a model
// call: an open-loop load generator with percentile recording, a fast
// local OpenAI-compatible upstream, the gateway with auth, limits and audit
// on, and a bare httputil.ReverseProxy hop for comparison. run.sh drives it.
//
//	gateway-bench upstream -addr 127.0.0.1:18001 [-delay 20ms]
//	gateway-bench gateway  -addr 127.0.0.1:18002 -upstream http://127.0.0.1:18001/v1
//	gateway-bench proxy    -addr 127.0.0.1:18003 -upstream http://127.0.0.1:18001 [-transport std|attest]
//	gateway-bench relay    -addr 127.0.0.1:18009 -upstream 127.0.0.1:18001
//	gateway-bench load     -url http://127.0.0.1:18002/v1/chat/completions -rate 1000 -duration 10s [-stream]
//	gateway-bench commit   [-sync FULL|NORMAL] [-n 2000] [-rate 1000]
//	gateway-bench rss      -pid N
//	gateway-bench report   -in results.txt
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gateway-bench upstream|gateway|proxy|relay|load|commit|rss|report [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "upstream":
		err = runUpstream(os.Args[2:])
	case "gateway":
		err = runGateway(os.Args[2:])
	case "proxy":
		err = runProxy(os.Args[2:])
	case "relay":
		err = runRelay(os.Args[2:])
	case "load":
		err = runLoad(os.Args[2:])
	case "commit":
		err = runCommit(os.Args[2:])
	case "rss":
		err = runRSS(os.Args[2:])
	case "report":
		err = runReport(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q: use upstream, gateway, proxy, relay, load, commit, rss or report", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway-bench:", err)
		os.Exit(1)
	}
}
