package e2e

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// fault is what the proxy does to one request.
type fault int

const (
	pass fault = iota
	unavailable
	tooManyRequests
	reset
)

// faultProxy is a reverse proxy in front of the test registry that injects
// registry faults on a schedule and counts blob uploads.
type faultProxy struct {
	addr     string
	schedule func(n int, r *http.Request) fault

	requests atomic.Int64
	faults   atomic.Int64
	uploads  atomic.Int64 // blob writes: uploads and cross-repository mounts (see uploadsBlob)
}

// uploadsBlob reports whether r writes a blob: the PUT that completes an
// upload, a single POST that carries the digest, or a cross-repository
// mount. A POST that only opens an upload session (as a push-permission
// check does, then cancels it) writes nothing.
func uploadsBlob(r *http.Request) bool {
	if !strings.Contains(r.URL.Path, "/blobs/uploads/") {
		return false
	}
	q := r.URL.Query()
	return r.Method == http.MethodPut || (r.Method == http.MethodPost && (q.Get("digest") != "" || q.Get("mount") != ""))
}

// startFaultProxy listens on a free loopback port until the test ends.
func startFaultProxy(t *testing.T, registry string, schedule func(n int, r *http.Request) fault) *faultProxy {
	t.Helper()
	target, err := url.Parse("http://" + registry)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{addr: l.Addr().String(), schedule: schedule}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(p.requests.Add(1))
		if uploadsBlob(r) {
			p.uploads.Add(1)
		}
		switch p.schedule(n, r) {
		case unavailable:
			p.faults.Add(1)
			http.Error(w, `{"errors":[{"code":"UNAVAILABLE","message":"injected"}]}`, http.StatusServiceUnavailable)
			return
		case tooManyRequests:
			p.faults.Add(1)
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"injected"}]}`, http.StatusTooManyRequests)
			return
		case reset:
			p.faults.Add(1)
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					if tc, ok := c.(*net.TCPConn); ok {
						_ = tc.SetLinger(0) // RST instead of FIN
					}
					c.Close()
					return
				}
			}
			http.Error(w, "reset", http.StatusBadGateway)
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return p
}
