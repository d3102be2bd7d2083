package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
)

// runRelay copies bytes between each client connection and its own
// upstream connection without reading HTTP at all: the cost of the extra
// loopback hop and its thread wake-ups alone, below which no proxy on this
// machine can go.
func runRelay(args []string) error {
	fs := flag.NewFlagSet("relay", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:18009", "listen address")
	upstream := fs.String("upstream", "127.0.0.1:18001", "upstream host:port")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "relay listening on %s -> %s\n", *addr, *upstream)
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			u, err := net.Dial("tcp", *upstream)
			if err != nil {
				return
			}
			defer u.Close()
			go io.Copy(u, c)
			io.Copy(c, u)
		}()
	}
}
