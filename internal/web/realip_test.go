package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddress(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	var got string
	h := ClientAddress(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.RemoteAddr }))
	for _, c := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"direct client", "203.0.113.7:5000", nil, "203.0.113.7:5000"},
		{"untrusted peer cannot claim an address", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7:5000"},
		{"through the load balancer", "10.0.0.2:443", []string{"198.51.100.1"}, "198.51.100.1:0"},
		{"client's own claim ignored", "10.0.0.2:443", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1:0"},
		{"two trusted hops", "10.0.0.2:443", []string{"198.51.100.1, 10.9.9.9"}, "198.51.100.1:0"},
		{"several headers", "10.0.0.2:443", []string{"1.2.3.4", "198.51.100.1"}, "198.51.100.1:0"},
		{"IPv6 client", "[fd00::1]:443", []string{"2001:db8::5"}, "[2001:db8::5]:0"},
		{"malformed hop", "10.0.0.2:443", []string{"198.51.100.1, junk"}, "10.0.0.2:443"},
		{"only proxies", "10.0.0.2:443", []string{"10.1.1.1"}, "10.0.0.2:443"},
		{"no header", "10.0.0.2:443", nil, "10.0.0.2:443"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if got != c.want {
			t.Errorf("%s: RemoteAddr %q, want %q", c.name, got, c.want)
		}
	}
	// With no trusted networks the handler is not wrapped at all.
	inner := http.NotFoundHandler()
	if h := ClientAddress(nil, inner); h == nil {
		t.Fatal("nil handler")
	}
}

// FuzzClientAddress feeds forwarded headers: never a panic, and the
// address is the peer's or one parsed from the header.
func FuzzClientAddress(f *testing.F) {
	f.Add("198.51.100.1, 10.0.0.3")
	f.Add(",,,")
	f.Add("[::1]:80, 1.2.3.4")
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	f.Fuzz(func(t *testing.T, xff string) {
		var got string
		h := ClientAddress(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.RemoteAddr }))
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "10.0.0.2:443"
		r.Header.Set("X-Forwarded-For", xff)
		h.ServeHTTP(httptest.NewRecorder(), r)
		if got != "10.0.0.2:443" {
			if _, err := netip.ParseAddrPort(got); err != nil {
				t.Fatalf("RemoteAddr %q is not an address", got)
			}
		}
	})
}
