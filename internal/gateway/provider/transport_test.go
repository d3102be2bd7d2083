package provider

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countConns makes srv count the connections it accepts.
func countConns(srv *httptest.Server) *atomic.Int64 {
	var n atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	return &n
}

func echoServer(t *testing.T, idle time.Duration) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-Auth", r.Header.Get("Authorization"))
		fmt.Fprintf(w, "%s %s", r.URL.Path, b)
	}))
	n := countConns(srv)
	srv.Config.IdleTimeout = idle
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, n
}

func do(t *testing.T, c *http.Client, ctx context.Context, method, url, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer k")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(b)
}

func TestTransportExchangesAndReusesOneConnection(t *testing.T) {
	srv, conns := echoServer(t, 0)
	c := &http.Client{Transport: NewTransport()}
	for i := range 20 {
		resp, got := do(t, c, context.Background(), http.MethodPost, srv.URL+"/v1/chat", fmt.Sprintf(`{"n":%d}`, i))
		if want := fmt.Sprintf(`/v1/chat {"n":%d}`, i); got != want || resp.StatusCode != 200 {
			t.Fatalf("answer %d: %d %q, want 200 %q", i, resp.StatusCode, got, want)
		}
		if resp.Header.Get("X-Method") != "POST" || resp.Header.Get("X-Auth") != "Bearer k" {
			t.Fatalf("request headers did not arrive: %v", resp.Header)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("20 sequential requests used %d connections, want 1", n)
	}
}

func TestTransportStreamsChunkedBody(t *testing.T) {
	next := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
			<-next
		}
	}))
	defer srv.Close()
	defer close(next)
	c := &http.Client{Transport: NewTransport()}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for i := range 3 {
		// Each event must arrive before the server writes the next.
		line, err := br.ReadString('\n')
		if err != nil || line != fmt.Sprintf("data: %d\n", i) {
			t.Fatalf("event %d: %q, %v", i, line, err)
		}
		br.ReadString('\n')
		next <- struct{}{}
	}
}

func TestTransportCancelMidBodyClosesConnection(t *testing.T) {
	gone := make(chan struct{})
	var calls atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) > 1 {
			return
		}
		io.WriteString(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the client's cancel closes the connection
		close(gone)
	}))
	conns := countConns(srv)
	srv.Start()
	defer srv.Close()
	tr := NewTransport()
	c := &http.Client{Transport: tr}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if _, err := resp.Body.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	_, err = io.ReadAll(resp.Body)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("read after cancel: %v, want context.Canceled", err)
	}
	resp.Body.Close()
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream never saw the connection close")
	}
	do(t, c, context.Background(), http.MethodGet, srv.URL, "")
	if n := conns.Load(); n != 2 {
		t.Fatalf("connections: %d, want 2 (a cancelled one is never pooled)", n)
	}
}

func TestTransportCancelWhileWaitingForHeaders(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := &http.Client{Transport: NewTransport()}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader("{}"))
	start := time.Now()
	_, err := c.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("the deadline took %v to end the call", d)
	}
}

func TestTransportDropsConnectionsTheUpstreamClosed(t *testing.T) {
	srv, conns := echoServer(t, 30*time.Millisecond)
	c := &http.Client{Transport: NewTransport()}
	do(t, c, context.Background(), http.MethodPost, srv.URL+"/a", "1")
	time.Sleep(300 * time.Millisecond) // the server closes the idle connection
	if _, got := do(t, c, context.Background(), http.MethodPost, srv.URL+"/b", "2"); got != "/b 2" {
		t.Fatalf("got %q", got)
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("connections: %d, want 2", n)
	}
}

func TestTransportHonoursConnectionClose(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "ok")
	}))
	conns := countConns(srv)
	srv.Start()
	defer srv.Close()
	c := &http.Client{Transport: NewTransport()}
	for range 3 {
		do(t, c, context.Background(), http.MethodGet, srv.URL, "")
	}
	if n := conns.Load(); n != 3 {
		t.Fatalf("connections: %d, want 3", n)
	}
}

func TestTransportAbandonedBodyIsNotPooled(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", 100<<10))
	}))
	conns := countConns(srv)
	srv.Start()
	defer srv.Close()
	c := &http.Client{Transport: NewTransport()}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Read(make([]byte, 10))
	resp.Body.Close()
	_, got := do(t, c, context.Background(), http.MethodGet, srv.URL, "")
	if len(got) != 100<<10 {
		t.Fatalf("second answer %d bytes", len(got))
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("connections: %d, want 2", n)
	}
}

// rawServer answers each connection with the bytes of reply.
func rawServer(t *testing.T, reply func(r *bufio.Reader, w net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				reply(br, c)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

func TestTransportSkipsInformationalAnswers(t *testing.T) {
	url := rawServer(t, func(_ *bufio.Reader, w net.Conn) {
		io.WriteString(w, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	})
	c := &http.Client{Transport: NewTransport()}
	resp, got := do(t, c, context.Background(), http.MethodPost, url, "{}")
	if resp.StatusCode != 200 || got != "ok" {
		t.Fatalf("got %d %q", resp.StatusCode, got)
	}
}

func TestTransportGarbageAndResets(t *testing.T) {
	for name, reply := range map[string]string{
		"garbage":      "this is not HTTP\r\n\r\n",
		"empty":        "",
		"short body":   "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
		"bad chunking": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			url := rawServer(t, func(_ *bufio.Reader, w net.Conn) { io.WriteString(w, reply) })
			c := &http.Client{Transport: NewTransport()}
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
			resp, err := c.Do(req)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestTransportTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "secure")
	}))
	conns := countConns(srv)
	srv.StartTLS()
	defer srv.Close()
	tr := NewTransport()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	tr.TLSConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	tr.TLSConfig.RootCAs = pool
	c := &http.Client{Transport: tr}
	for range 3 {
		resp, got := do(t, c, context.Background(), http.MethodGet, srv.URL, "")
		if got != "secure" || resp.TLS == nil || !resp.TLS.HandshakeComplete {
			t.Fatalf("got %q, TLS %v", got, resp.TLS)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("connections: %d, want 1", n)
	}
}

func TestTransportConcurrentCallers(t *testing.T) {
	srv, conns := echoServer(t, 0)
	tr := NewTransport()
	tr.MaxIdlePerHost = 4
	c := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				body := fmt.Sprintf("%d-%d", g, i)
				_, got := do(t, c, context.Background(), http.MethodPost, srv.URL+"/x", body)
				if got != "/x "+body {
					t.Errorf("got %q, want %q", got, "/x "+body)
				}
			}
		}()
	}
	wg.Wait()
	if n := conns.Load(); n > 16+4*25 {
		t.Fatalf("%d connections for 16 callers", n)
	}
	tr.mu.Lock()
	idle := len(tr.idle[srv.URL[:4]+"://"+srv.Listener.Addr().String()])
	tr.mu.Unlock()
	if idle > 4 {
		t.Fatalf("%d idle connections kept, limit 4", idle)
	}
	tr.CloseIdleConnections()
}

// TestTransportOnSentRunsWhileUpstreamWorks makes the upstream wait for the
// hook: a hook run only after the answer would never let it answer.
func TestTransportOnSentRunsWhileUpstreamWorks(t *testing.T) {
	sent := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-sent:
			io.WriteString(w, "after hook")
		case <-time.After(3 * time.Second):
			io.WriteString(w, "no hook")
		}
	}))
	defer srv.Close()
	c := &http.Client{Transport: NewTransport()}
	calls := 0
	ctx := OnSent(context.Background(), func() {
		calls++
		close(sent)
	})
	_, got := do(t, c, ctx, http.MethodPost, srv.URL, "{}")
	if got != "after hook" || calls != 1 {
		t.Fatalf("answer %q, hook ran %d times", got, calls)
	}
}

// TestTransportHandsProxiedRequestsToTheStandardTransport routes requests
// through a forward proxy, which only the standard transport speaks to.
func TestTransportHandsProxiedRequestsToTheStandardTransport(t *testing.T) {
	upstream, _ := echoServer(t, 0)
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A forward proxy receives the absolute URL.
		if r.URL.Host == "" {
			t.Errorf("proxy got a relative URL %q", r.URL)
		}
		proxied.Add(1)
		io.WriteString(w, "via proxy")
	}))
	defer proxy.Close()
	proxyURL, _ := url.Parse(proxy.URL)
	tr := NewTransport()
	tr.Proxy = func(r *http.Request) (*url.URL, error) {
		if r.URL.Path == "/proxied" {
			return proxyURL, nil
		}
		return nil, nil
	}
	c := &http.Client{Transport: tr}
	if _, got := do(t, c, context.Background(), http.MethodPost, upstream.URL+"/proxied", "{}"); got != "via proxy" || proxied.Load() != 1 {
		t.Fatalf("proxied request answered %q (proxy saw %d)", got, proxied.Load())
	}
	if _, got := do(t, c, context.Background(), http.MethodPost, upstream.URL+"/direct", "x"); got != "/direct x" {
		t.Fatalf("direct request answered %q", got)
	}
}
