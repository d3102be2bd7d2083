package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientAddress sets each request's RemoteAddr to its client's address
// when it arrives through a trusted proxy: the right-most address in
// X-Forwarded-For that is not itself a trusted proxy. Everything that reads
// RemoteAddr (the gateway's abuse detection and request log, the console's
// sign-in limits) then sees clients, not the load balancer. Addresses to
// the left of the first untrusted one are the client's own claims and are
// ignored, so a client cannot choose its address. With no trusted
// networks, next is returned as it is.
func ClientAddress(trusted []netip.Prefix, next http.Handler) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	isTrusted := func(a netip.Addr) bool {
		a = a.Unmap()
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil || !isTrusted(peer.Addr()) {
			next.ServeHTTP(w, r)
			return
		}
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // a malformed hop: trust nothing beyond it
			}
			if isTrusted(a) {
				continue
			}
			r2 := r.Clone(r.Context())
			r2.RemoteAddr = net.JoinHostPort(a.Unmap().String(), "0")
			next.ServeHTTP(w, r2)
			return
		}
		next.ServeHTTP(w, r)
	})
}
