package release

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/kfp-dagger/kfp-dagger/internal/labels"
)

const (
	commitA = "0123456789abcdef0123456789abcdef01234567"
	commitB = "fedcba9876543210fedcba9876543210fedcba98"
	source  = "https://github.com/kubeflow/pipelines"
)

var stagedAt = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// testRegistry is one in-process registry (go-containerregistry's) served
// twice: direct, for setting up fixtures, and through wrap, for the code
// under test. Both serve the same content.
type testRegistry struct {
	direct string // host:port without faults
	host   string // host:port through the wrapper
}

// newTestRegistry starts the registry; wrap may be nil.
func newTestRegistry(t *testing.T, wrap func(http.Handler) http.Handler) testRegistry {
	t.Helper()
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	direct := httptest.NewServer(h)
	t.Cleanup(direct.Close)
	front := h
	if wrap != nil {
		front = wrap(h)
	}
	s := httptest.NewServer(front)
	t.Cleanup(s.Close)
	return testRegistry{direct: hostOf(direct.URL), host: hostOf(s.URL)}
}

func hostOf(url string) string { return strings.TrimPrefix(url, "http://") }

// repo is the repository of image under kubeflow/ as the code under test
// sees it.
func (r testRegistry) repo(image string) string { return r.host + "/kubeflow/" + image }

// directRef is ref's repository path and identifier on the direct server.
func (r testRegistry) directRef(t *testing.T, image, identifier string) name.Reference {
	t.Helper()
	sep := ":"
	if strings.HasPrefix(identifier, "sha256:") {
		sep = "@"
	}
	ref, err := name.ParseReference(r.direct + "/kubeflow/" + image + sep + identifier)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// platformImage returns a random image for platform, labelled with commit
// and version.
func platformImage(t *testing.T, platform, commit, version string) v1.Image {
	t.Helper()
	img, err := random.Image(128, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	p, err := parsePlatform(platform)
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Config.Labels = map[string]string{
		labels.Revision: commit,
		labels.Version:  version,
		labels.Source:   source,
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return mutate.MediaType(mutate.ConfigMediaType(img, types.OCIConfigJSON), types.OCIManifestSchema1)
}

func digestOf(t *testing.T, d interface{ Digest() (v1.Hash, error) }) v1.Hash {
	t.Helper()
	h, err := d.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// stageOpts changes what stage pushes.
type stageOpts struct {
	labelCommit, labelVersion string // labels, when not the record's
}

// stage pushes one image per platform under its staging tag, as a stage
// run does, and returns the record of that run.
func (r testRegistry) stage(t *testing.T, image, commit, version string, platforms []string, o ...stageOpts) Record {
	t.Helper()
	lc, lv := commit, version
	if len(o) > 0 {
		if o[0].labelCommit != "" {
			lc = o[0].labelCommit
		}
		if o[0].labelVersion != "" {
			lv = o[0].labelVersion
		}
	}
	rec := Record{Image: image, Repository: r.repo(image), Version: version, Commit: commit, Source: source,
		Labels: map[string]string{labels.Source: source}, StagedAt: stagedAt}
	for _, p := range platforms {
		img := platformImage(t, p, lc, lv)
		tag, err := PlatformStagingTag(commit, version, p)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(r.directRef(t, image, tag), img); err != nil {
			t.Fatal(err)
		}
		rec.Platforms = append(rec.Platforms, PlatformManifest{Platform: p, Digest: digestOf(t, img)})
	}
	return rec
}

// stageIndex stages every platform, assembles the index through a fault
// free remote and returns the record with its index.
func (r testRegistry) stageIndex(t *testing.T, image, commit, version string, platforms []string, o ...stageOpts) Record {
	t.Helper()
	rec := r.stage(t, image, commit, version, platforms, o...)
	d, err := AssembleIndex(context.Background(), r.directRemote(t), r.onDirect(rec))
	if err != nil {
		t.Fatal(err)
	}
	rec.Index = d
	return rec
}

// onDirect returns rec with its repository on the direct server.
func (r testRegistry) onDirect(rec Record) Record {
	rec.Repository = strings.Replace(rec.Repository, r.host, r.direct, 1)
	return rec
}

// directRemote is a Remote for the direct server.
func (r testRegistry) directRemote(t *testing.T) *Remote {
	t.Helper()
	return newTestRemote(t)
}

// fastPolicy retries quickly, for tests.
func fastPolicy() RetryPolicy {
	p := DefaultRetryPolicy()
	p.Backoff.Initial = 5 * time.Millisecond
	p.Backoff.Max = 50 * time.Millisecond
	p.Backoff.Jitter = 0
	p.Backoff.Budget = 2 * time.Second
	p.AttemptTimeout = 5 * time.Second
	return p
}

func newTestRemote(t *testing.T, opts ...RemoteOption) *Remote {
	t.Helper()
	r, err := NewRemote(append([]RemoteOption{WithRetryPolicy(fastPolicy())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// requestLog records the requests a wrapped registry serves.
type requestLog struct {
	mu   sync.Mutex
	reqs []string // "METHOD path"
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.reqs = append(l.reqs, r.Method+" "+r.URL.Path)
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// tagPuts returns repository:tag of every manifest PUT, in order.
func (l *requestLog) tagPuts() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.reqs {
		method, path, _ := strings.Cut(r, " ")
		repo, ref, ok := strings.Cut(strings.TrimPrefix(path, "/v2/"), "/manifests/")
		if method == http.MethodPut && ok {
			out = append(out, repo[strings.LastIndex(repo, "/")+1:]+":"+ref)
		}
	}
	return out
}

// requests returns every request so far, as "METHOD path".
func (l *requestLog) requests() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.reqs...)
}

func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = nil
}

// holds returns the digest tag holds on the direct server.
func (r testRegistry) holds(t *testing.T, image, tag string) v1.Hash {
	t.Helper()
	d, err := remote.Head(r.directRef(t, image, tag))
	if err != nil {
		t.Fatalf("head %s:%s: %v", image, tag, err)
	}
	return d.Digest
}

func oneLineMessage(t *testing.T, err error) {
	t.Helper()
	if strings.ContainsAny(err.Error(), "\r\n") {
		t.Errorf("error is not one line: %q", err)
	}
}
