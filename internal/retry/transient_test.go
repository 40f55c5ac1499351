package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

func TestTransient(t *testing.T) {
	status := func(code int) error { return &transport.Error{StatusCode: code} }
	opErr := func(errno syscall.Errno) error {
		return &url.Error{Op: "Put", URL: "https://ghcr.io/v2/kubeflow/kfp-driver/blobs/uploads/", Err: &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", errno)}}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{name: "nil", err: nil, want: false},

		// go-containerregistry errors, by status code.
		{name: "ggcr 429", err: status(429), want: true},
		{name: "ggcr 500", err: status(500), want: true},
		{name: "ggcr 502", err: status(502), want: true},
		{name: "ggcr 503 wrapped", err: fmt.Errorf("pushing kfp-driver: %w", status(503)), want: true},
		{name: "ggcr 504", err: status(504), want: true},
		{name: "ggcr 408", err: status(408), want: true},
		{name: "ggcr 400", err: status(400), want: false},
		{name: "ggcr 401", err: status(401), want: false},
		{name: "ggcr 403", err: status(403), want: false},
		{name: "ggcr 404", err: status(404), want: false},
		{name: "ggcr 501", err: status(501), want: false},
		{
			name: "ggcr status wins over its text",
			err:  &transport.Error{StatusCode: 403, Errors: []transport.Diagnostic{{Code: "DENIED", Message: "service unavailable for you"}}},
			want: false,
		},
		{
			name: "ggcr rate limit diagnostic",
			err:  &transport.Error{StatusCode: 429, Errors: []transport.Diagnostic{{Code: transport.TooManyRequestsErrorCode, Message: "slow down"}}},
			want: true,
		},

		// Status seen only as text, as docker, buildkit and Dagger report it.
		{name: "text 503", err: errors.New("failed to push ghcr.io/kubeflow/kfp-driver:master: 503 Service Unavailable"), want: true},
		{name: "text 429", err: errors.New("unexpected status from HEAD request to https://ghcr.io/v2/x/manifests/y: 429 Too Many Requests"), want: true},
		{name: "text status code only", err: errors.New("unexpected status code 502"), want: true},
		{name: "text status colon", err: errors.New("push failed: unexpected status: 504"), want: true},
		{name: "text HTTP/1.1 500", err: errors.New("registry said HTTP/1.1 500"), want: true},
		{name: "text toomanyrequests", err: errors.New("toomanyrequests: You have reached your pull rate limit"), want: true},
		{name: "text status 401", err: errors.New("unexpected status code 401 Unauthorized"), want: false},
		{name: "text status 404", err: errors.New("unexpected status code 404"), want: false},
		{name: "text a port is not a status", err: errors.New("dial tcp 127.0.0.1:5000: connect: connection refused"), want: false},
		{name: "text unauthorized", err: errors.New("unauthorized: authentication required"), want: false},
		{name: "text denied", err: errors.New("denied: permission_denied: write_package"), want: false},
		{name: "text denied beats timeout", err: errors.New("denied: token request i/o timeout"), want: false},
		{name: "text name unknown", err: errors.New("NAME_UNKNOWN: repository name not known to registry"), want: false},
		{name: "text manifest unknown", err: errors.New("MANIFEST_UNKNOWN: manifest unknown"), want: false},

		// Network failures.
		{name: "connection reset", err: opErr(syscall.ECONNRESET), want: true},
		{name: "broken pipe", err: opErr(syscall.EPIPE), want: true},
		{name: "connection refused", err: opErr(syscall.ECONNREFUSED), want: false},
		{name: "text connection reset", err: errors.New("write tcp 10.0.0.1:443: write: connection reset by peer"), want: true},
		{name: "EOF", err: io.EOF, want: true},
		{name: "EOF in url error", err: &url.Error{Op: "Put", URL: "https://ghcr.io/v2/", Err: io.EOF}, want: true},
		{name: "text EOF suffix", err: errors.New(`Put "https://ghcr.io/v2/x/blobs/uploads/": EOF`), want: true},
		{name: "text EOF inside a word", err: errors.New("invalid EOFMARKER"), want: false},
		{name: "unexpected EOF", err: fmt.Errorf("copying layer: %w", io.ErrUnexpectedEOF), want: true},
		{name: "i/o timeout", err: &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}, want: true},
		{name: "text TLS handshake timeout", err: errors.New("Get \"https://ghcr.io/v2/\": net/http: TLS handshake timeout"), want: true},
		{name: "per-attempt deadline", err: fmt.Errorf("pushing: %w", context.DeadlineExceeded), want: true},
		{name: "text deadline", err: errors.New("rpc error: code = Unknown desc = context deadline exceeded"), want: true},
		{name: "canceled", err: fmt.Errorf("pushing: %w", context.Canceled), want: false},
		{name: "dns", err: &net.DNSError{Err: "no such host", Name: "ghcr.iox"}, want: false},
		{name: "unknown", err: errors.New("invalid manifest: missing config"), want: false},

		// Permanent overrides everything.
		{name: "permanent 503", err: Permanent(status(503)), want: false},
		{name: "wrapped permanent reset", err: fmt.Errorf("push: %w", Permanent(opErr(syscall.ECONNRESET))), want: false},
	}
	for _, tt := range tests {
		if got := Transient(tt.err); got != tt.want {
			t.Errorf("%s: Transient(%v) = %t, want %t", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestPermanent(t *testing.T) {
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	base := errors.New("bad manifest")
	err := Permanent(base)
	if err.Error() != base.Error() {
		t.Errorf("Permanent(err).Error() = %q, want %q", err.Error(), base.Error())
	}
	if !errors.Is(err, base) {
		t.Error("Permanent(err) does not unwrap to err")
	}
}
