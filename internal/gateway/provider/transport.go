package provider

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"syscall"
	"time"
)

// Transport is the HTTP/1.1 client transport for upstream calls. Each
// exchange runs on the calling goroutine: the request is written to a
// pooled connection and the response is read from it in the same
// goroutine, with net/http's own wire code (Request.Write and
// http.ReadResponse). net/http's Transport instead hands every request to
// two goroutines of its connection, and on a two-core machine each hand-off
// costs a thread wake-up; those wake-ups, not parsing, are most of what a
// proxy hop adds (BENCHMARKS.md, "Gateway").
//
// Requests that go through an HTTP proxy taken from the environment
// (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), and any scheme but http and https,
// are passed to a standard transport.
type Transport struct {
	// MaxIdlePerHost bounds the kept-alive connections per upstream.
	MaxIdlePerHost int
	// IdleTimeout closes connections unused for longer.
	IdleTimeout time.Duration
	// TLSConfig is cloned for each TLS connection; nil means defaults.
	TLSConfig *tls.Config
	// Proxy picks an HTTP proxy for a request, as http.Transport.Proxy
	// does; requests it routes to a proxy take the standard transport.
	// NewTransport sets http.ProxyFromEnvironment.
	Proxy func(*http.Request) (*url.URL, error)

	dialer   net.Dialer
	fallback *http.Transport
	sessions tls.ClientSessionCache

	mu   sync.Mutex
	idle map[string][]*pconn
}

var _ http.RoundTripper = (*Transport)(nil)

// NewTransport returns a transport tuned for many concurrent upstream calls
// on kept-alive connections.
func NewTransport() *Transport {
	fb := http.DefaultTransport.(*http.Transport).Clone()
	fb.MaxIdleConns = 1024
	fb.MaxIdleConnsPerHost = 512
	fb.IdleConnTimeout = 90 * time.Second
	t := &Transport{
		MaxIdlePerHost: 512,
		IdleTimeout:    90 * time.Second,
		Proxy:          http.ProxyFromEnvironment,
		dialer:         net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second},
		fallback:       fb,
		sessions:       tls.NewLRUClientSessionCache(64),
		idle:           map[string][]*pconn{},
	}
	fb.Proxy = func(r *http.Request) (*url.URL, error) { return t.Proxy(r) }
	return t
}

type sentKey struct{}

// OnSent returns a context under which Transport calls f, on the caller's
// goroutine, each time it has written a request to an upstream and before
// it waits for the answer: the caller's own work in f then overlaps the
// upstream's.
func OnSent(ctx context.Context, f func()) context.Context {
	return context.WithValue(ctx, sentKey{}, f)
}

// pconn is one kept-alive upstream connection.
type pconn struct {
	key    string
	nc     net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	tls    *tls.ConnectionState
	usedAt time.Time
}

// aLongTimeAgo is a deadline that has passed, to interrupt blocked I/O.
var aLongTimeAgo = time.Unix(1, 0)

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") || t.proxied(req) {
		return t.fallback.RoundTrip(req)
	}
	ctx := req.Context()
	closeBody := func() {
		if req.Body != nil {
			req.Body.Close()
		}
	}
	c, err := t.get(ctx, req)
	if err != nil {
		closeBody()
		return nil, err
	}
	// A cancelled context interrupts whatever read or write is blocked;
	// the connection is then closed rather than pooled.
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(aLongTimeAgo) })
	fail := func(err error) (*http.Response, error) {
		stop()
		c.nc.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("upstream %s: %w (%w)", c.key, context.Cause(ctx), err)
		}
		return nil, fmt.Errorf("upstream %s: %w", c.key, err)
	}
	err = req.Write(c.bw)
	if err == nil {
		err = c.bw.Flush()
	}
	closeBody()
	if err != nil {
		return fail(err)
	}
	if f, ok := ctx.Value(sentKey{}).(func()); ok {
		f()
	}
	var resp *http.Response
	for {
		resp, err = http.ReadResponse(c.br, req)
		if err != nil {
			return fail(err)
		}
		// Skip informational answers such as 100 Continue; 101 ends
		// HTTP/1.1 on this connection and is handed back as it is.
		if resp.StatusCode >= 200 || resp.StatusCode < 100 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		io.Copy(io.Discard, resp.Body)
	}
	resp.TLS = c.tls
	b := &body{ctx: ctx, rc: resp.Body, c: c, t: t, stop: stop, reuse: !resp.Close && !req.Close && resp.StatusCode != http.StatusSwitchingProtocols}
	if resp.Body == http.NoBody {
		b.release(true)
		return resp, nil
	}
	resp.Body = b
	return resp, nil
}

// proxied says whether req goes through a proxy.
func (t *Transport) proxied(req *http.Request) bool {
	if t.Proxy == nil {
		return false
	}
	u, err := t.Proxy(req)
	return err != nil || u != nil
}

// CloseIdleConnections closes every pooled connection.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = map[string][]*pconn{}
	t.mu.Unlock()
	for _, cs := range idle {
		for _, c := range cs {
			c.nc.Close()
		}
	}
	t.fallback.CloseIdleConnections()
}

func connKey(req *http.Request) (key, addr string) {
	host := req.URL.Hostname()
	port := req.URL.Port()
	if port == "" {
		port = "80"
		if req.URL.Scheme == "https" {
			port = "443"
		}
	}
	addr = net.JoinHostPort(host, port)
	return req.URL.Scheme + "://" + addr, addr
}

// get returns a live pooled connection for req's upstream, or dials one.
func (t *Transport) get(ctx context.Context, req *http.Request) (*pconn, error) {
	key, addr := connKey(req)
	now := time.Now()
	for {
		t.mu.Lock()
		cs := t.idle[key]
		if len(cs) == 0 {
			t.mu.Unlock()
			break
		}
		c := cs[len(cs)-1]
		cs[len(cs)-1] = nil
		t.idle[key] = cs[:len(cs)-1]
		t.mu.Unlock()
		if now.Sub(c.usedAt) < t.IdleTimeout && alive(c) {
			return c, nil
		}
		c.nc.Close()
	}
	return t.dial(ctx, req, key, addr)
}

func (t *Transport) dial(ctx context.Context, req *http.Request, key, addr string) (*pconn, error) {
	nc, err := t.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial upstream %s: %w", key, err)
	}
	c := &pconn{key: key, nc: nc}
	if req.URL.Scheme == "https" {
		cfg := &tls.Config{}
		if t.TLSConfig != nil {
			cfg = t.TLSConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = req.URL.Hostname()
		}
		cfg.NextProtos = []string{"http/1.1"}
		if cfg.ClientSessionCache == nil {
			cfg.ClientSessionCache = t.sessions
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("tls handshake with upstream %s: %w", key, err)
		}
		st := tc.ConnectionState()
		c.nc, c.tls = tc, &st
	}
	c.br = bufio.NewReaderSize(c.nc, 16<<10)
	c.bw = bufio.NewWriterSize(c.nc, 16<<10)
	return c, nil
}

// alive reports whether an idle connection is still open: the upstream
// closes kept-alive connections on its own schedule, and a request written
// to one of those would fail. One non-blocking peek answers it; a plain
// connection with nothing to read is alive.
func alive(c *pconn) bool {
	if c.br.Buffered() > 0 {
		return false // bytes nobody asked for: the framing is lost
	}
	nc := c.nc
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	ok = true
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case n > 0:
			// A TLS connection may hold a session ticket or an alert;
			// an alert means it is closing, so treat any data as dead
			// for plain connections only.
			ok = c.tls != nil
		case n == 0 && err == nil:
			ok = false // orderly close
		case err == syscall.EAGAIN:
		default:
			ok = false
		}
		return true // never wait
	})
	return err == nil && ok
}

func (t *Transport) put(c *pconn) {
	c.usedAt = time.Now()
	t.mu.Lock()
	if cs := t.idle[c.key]; len(cs) < t.MaxIdlePerHost {
		t.idle[c.key] = append(cs, c)
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	c.nc.Close()
}

// body hands the connection back to the pool once the response body has
// been read to its end, and closes it if the body is abandoned early.
type body struct {
	ctx   context.Context
	rc    io.ReadCloser
	c     *pconn
	t     *Transport
	stop  func() bool
	reuse bool
	done  bool
}

func (b *body) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.release(true)
		return n, io.EOF
	}
	if err != nil {
		if b.ctx.Err() != nil {
			// The deadline a cancelled context set surfaces as a
			// timeout; callers look for the context's own error.
			err = fmt.Errorf("%w (%w)", context.Cause(b.ctx), err)
		}
		b.release(false)
	}
	return n, err
}

func (b *body) Close() error {
	if !b.done {
		b.release(false)
	}
	return nil
}

// release returns the connection to the pool if the exchange ended cleanly
// and the context never fired, and closes it otherwise.
func (b *body) release(clean bool) {
	b.done = true
	fired := !b.stop()
	if clean && b.reuse && !fired {
		b.rc.Close()
		b.t.put(b.c)
		return
	}
	b.c.nc.Close()
}
