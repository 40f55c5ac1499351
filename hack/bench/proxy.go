package main

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
)

// counts is what the counting proxy saw, as totals since it started.
type counts struct {
	// Uploads counts blobs sent: the PUT that completes an upload, or a
	// single POST that carries the digest. A session opened and cancelled
	// (publish-all's push-permission check) sends no blob.
	Uploads int64
	// Mounts counts cross-repository mount requests (POST …/blobs/uploads/?mount=…).
	Mounts int64
	// Manifests counts manifest writes (PUT …/manifests/…).
	Manifests int64
	// Requests counts every request.
	Requests int64
}

func (c counts) minus(o counts) counts {
	return counts{c.Uploads - o.Uploads, c.Mounts - o.Mounts, c.Manifests - o.Manifests, c.Requests - o.Requests}
}

// countingProxy is a reverse proxy in front of the publish registry that
// counts blob uploads, like e2e/faultproxy_test.go's counter, without faults.
type countingProxy struct {
	addr string
	srv  *http.Server

	uploads, mounts, manifests, requests atomic.Int64
}

func startCountingProxy(registry string) (*countingProxy, error) {
	target, err := url.Parse("http://" + registry)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{addr: l.Addr().String()}
	rp := httputil.NewSingleHostReverseProxy(target)
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/blobs/uploads/") && r.URL.Query().Get("mount") != "":
			p.mounts.Add(1)
		case strings.Contains(r.URL.Path, "/blobs/uploads/") &&
			(r.Method == http.MethodPut || (r.Method == http.MethodPost && r.URL.Query().Get("digest") != "")):
			p.uploads.Add(1)
		case r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/"):
			p.manifests.Add(1)
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = p.srv.Serve(l) }()
	return p, nil
}

func (p *countingProxy) snapshot() counts {
	return counts{p.uploads.Load(), p.mounts.Load(), p.manifests.Load(), p.requests.Load()}
}

func (p *countingProxy) close() { _ = p.srv.Close() }
