package release

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// onManifests answers requests for manifests with fail, and passes the rest.
func onManifests(fail http.HandlerFunc) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/manifests/") {
				fail(w, r)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

func write(t *testing.T, reg testRegistry, image, tag string, rec Record) {
	t.Helper()
	m, err := remote.Get(reg.directRef(t, image, rec.Index.String()))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(reg.directRef(t, image, tag), m); err != nil {
		t.Fatal(err)
	}
}

func TestDecide(t *testing.T) {
	reg := newTestRegistry(t, nil)
	ctx := context.Background()
	r := newTestRemote(t)
	ours := reg.stageIndex(t, "kfp-driver", commitA, "2.5.0", both)
	theirs := reg.stageIndex(t, "kfp-driver", commitB, "2.5.0", both)
	write(t, reg, "kfp-driver", "2.5.0", theirs)
	write(t, reg, "kfp-driver", commitA, ours)

	w := TagWrite{Image: "kfp-driver", Repository: reg.repo("kfp-driver"), Digest: ours.Index, Commit: commitA, Immutable: true}
	tests := []struct {
		name, repo, tag string
		want            Decision
	}{
		{"same digest", w.Repository, commitA, Decision{State: Same, Have: ours.Index}},
		{"other digest", w.Repository, "2.5.0", Decision{State: Other, Have: theirs.Index, HaveCommit: commitB}},
		{"tag absent (MANIFEST_UNKNOWN)", w.Repository, "2.6.0", Decision{State: Absent}},
		{"repository absent (NAME_UNKNOWN)", reg.repo("kfp-nothing"), "2.5.0", Decision{State: Absent}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := w
			w.Repository, w.Tag = tt.repo, tt.tag
			got, err := Decide(ctx, r, w)
			if err != nil || got != tt.want {
				t.Errorf("Decide = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestDecideFailsClosed(t *testing.T) {
	tests := []struct {
		name  string
		wrap  func(http.Handler) http.Handler
		words []string
		retry bool // whether the failure is retried
	}{
		{
			name: "401",
			wrap: func(http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
					w.WriteHeader(http.StatusUnauthorized)
				})
			},
			words: []string{"401 Unauthorized", "wants credentials", "none were given"},
		},
		{
			name: "500 after the budget",
			wrap: onManifests(func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "internal error", http.StatusInternalServerError)
			}),
			words: []string{"gave up after", "500 Internal Server Error"},
			retry: true,
		},
		{
			name: "404 that is not a registry error",
			wrap: onManifests(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusNotFound)
				fmt.Fprint(w, "<html>\n<body><h1>404 Not Found</h1>\nnginx</body>\n</html>\n")
			}),
			words: []string{"404 without a MANIFEST_UNKNOWN or NAME_UNKNOWN error code"},
		},
		{
			name: "404 with another registry error code",
			wrap: onManifests(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusNotFound)
				fmt.Fprint(w, `{"errors":[{"code":"DENIED","message":"no such org"}]}`)
			}),
			words: []string{"DENIED"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := newTestRegistry(t, tt.wrap)
			p := fastPolicy()
			p.Backoff.Budget = 200 * time.Millisecond
			r := newTestRemote(t, WithRetryPolicy(p))
			w := TagWrite{Image: "kfp-driver", Repository: reg.repo("kfp-driver"), Tag: "2.5.0", Digest: hash(t, 'a'), Commit: commitA, Immutable: true}
			start := time.Now()
			d, err := Decide(context.Background(), r, w)
			if err == nil {
				t.Fatalf("Decide = %+v, want an error (fail closed)", d)
			}
			if d.State != 0 || IsAbsent(err) {
				t.Errorf("Decide = %+v, %v: a failure must never read as absent", d, err)
			}
			for _, word := range append(tt.words, reg.host, "kfp-driver:2.5.0") {
				if !strings.Contains(err.Error(), word) {
					t.Errorf("error %q does not mention %q", err, word)
				}
			}
			oneLineMessage(t, err)
			if got := r.Retries(reg.repo("kfp-driver")); (got > 0) != tt.retry {
				t.Errorf("%d retries; retried = %t, want %t", got, got > 0, tt.retry)
			}
			if time.Since(start) > 2*time.Second {
				t.Errorf("Decide took %s", time.Since(start))
			}
		})
	}
}

func TestIsAbsent(t *testing.T) {
	diag := func(codes ...transport.ErrorCode) []transport.Diagnostic {
		var out []transport.Diagnostic
		for _, c := range codes {
			out = append(out, transport.Diagnostic{Code: c, Message: "x"})
		}
		return out
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"404 MANIFEST_UNKNOWN", &transport.Error{StatusCode: 404, Errors: diag(transport.ManifestUnknownErrorCode)}, true},
		{"404 NAME_UNKNOWN", &transport.Error{StatusCode: 404, Errors: diag(transport.NameUnknownErrorCode)}, true},
		{"404 both", &transport.Error{StatusCode: 404, Errors: diag(transport.NameUnknownErrorCode, transport.ManifestUnknownErrorCode)}, true},
		{"wrapped", fmt.Errorf("get: %w", oneLine(&transport.Error{StatusCode: 404, Errors: diag(transport.ManifestUnknownErrorCode)})), true},
		{"404 without a body", &transport.Error{StatusCode: 404}, false},
		{"404 DENIED", &transport.Error{StatusCode: 404, Errors: diag(transport.DeniedErrorCode)}, false},
		{"404 MANIFEST_UNKNOWN and DENIED", &transport.Error{StatusCode: 404, Errors: diag(transport.ManifestUnknownErrorCode, transport.DeniedErrorCode)}, false},
		{"400 MANIFEST_UNKNOWN", &transport.Error{StatusCode: 400, Errors: diag(transport.ManifestUnknownErrorCode)}, false},
		{"401", &transport.Error{StatusCode: 401, Errors: diag(transport.UnauthorizedErrorCode)}, false},
		{"text MANIFEST_UNKNOWN", errors.New("MANIFEST_UNKNOWN: manifest unknown"), false},
		{"text 404", errors.New("unexpected status code 404 Not Found"), false},
		{"text credentials", errors.New("registry credentials not found"), false},
		{"timeout", context.DeadlineExceeded, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		if got := IsAbsent(tt.err); got != tt.want {
			t.Errorf("%s: IsAbsent(%v) = %t, want %t", tt.name, tt.err, got, tt.want)
		}
	}
}
