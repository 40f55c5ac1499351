package pushed

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// serve starts an in-process registry that demands user kfp / password pw
// when auth is true, and returns its host:port.
func serve(t *testing.T, auth bool) string {
	t.Helper()
	reg := registry.New()
	h := http.Handler(reg)
	if auth {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != "kfp" || p != "pw" {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			reg.ServeHTTP(w, r)
		})
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

func image(t *testing.T, arch string) v1.Image {
	t.Helper()
	img, err := random.Image(64, 2)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf.OS, cf.Architecture = "linux", arch
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return mutate.MediaType(mutate.ConfigMediaType(img, types.OCIConfigJSON), types.OCIManifestSchema1)
}

func index(t *testing.T, imgs ...v1.Image) v1.ImageIndex {
	t.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, img := range imgs {
		cf, _ := img.ConfigFile()
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: cf.OS, Architecture: cf.Architecture}}})
	}
	// an attestation manifest, as BuildKit adds: not a platform
	att := image(t, "unknown")
	idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: att,
		Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"}}})
	return idx
}

func digestOf(t *testing.T, d interface{ Digest() (v1.Hash, error) }) string {
	t.Helper()
	h, err := d.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

func configOf(t *testing.T, img v1.Image) string {
	t.Helper()
	h, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

func TestReadIndexAndImage(t *testing.T) {
	host := serve(t, false)
	amd, arm := image(t, "amd64"), image(t, "arm64")
	idx := index(t, arm, amd)
	idxRef := host + "/kubeflow/kfp-driver:master"
	if err := remote.WriteIndex(mustRef(t, idxRef), idx); err != nil {
		t.Fatal(err)
	}
	got, err := New().Read(context.Background(), host+"/kubeflow/kfp-driver@"+digestOf(t, idx))
	if err != nil {
		t.Fatal(err)
	}
	want := []Platform{
		{Platform: "linux/amd64", Manifest: digestOf(t, amd), Config: configOf(t, amd)},
		{Platform: "linux/arm64", Manifest: digestOf(t, arm), Config: configOf(t, arm)},
	}
	if len(got) != len(want) {
		t.Fatalf("Read = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("platform %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	imgRef := host + "/kubeflow/kfp-frontend:master"
	if err := remote.Write(mustRef(t, imgRef), amd); err != nil {
		t.Fatal(err)
	}
	got, err = New().Read(context.Background(), imgRef)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != want[0] {
		t.Errorf("Read(single image) = %+v, want [%+v]", got, want[0])
	}
}

func TestReadThroughTunnelWithAuth(t *testing.T) {
	host := serve(t, true)
	img := image(t, "amd64")
	// the name the caller uses is not where the registry listens
	const seen = "127.0.0.1:5999"
	r := New(WithBasicAuth("kfp", "pw"), WithTunnel(seen, host))
	w := New(WithBasicAuth("kfp", "pw"))
	if err := remote.Write(mustRef(t, host+"/x/img:1"), img, w.options(context.Background())...); err != nil {
		t.Fatal(err)
	}
	got, err := r.Read(context.Background(), seen+"/x/img:1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Manifest != digestOf(t, img) {
		t.Fatalf("Read = %+v, want manifest %s", got, digestOf(t, img))
	}

	_, err = New(WithBasicAuth("kfp", "wrong"), WithTunnel(seen, host)).Read(context.Background(), seen+"/x/img:1")
	if err == nil || !strings.Contains(err.Error(), "401") && !strings.Contains(strings.ToLower(err.Error()), "unauthorized") {
		t.Fatalf("wrong password: err = %v, want unauthorized", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("the error shows the password: %v", err)
	}
}

func TestReadErrors(t *testing.T) {
	host := serve(t, false)
	for _, ref := range []string{host + "/x/none:1", "not a reference", host + "/x/img@sha256:1234"} {
		if _, err := New().Read(context.Background(), ref); err == nil || !strings.HasPrefix(err.Error(), "read ") {
			t.Errorf("Read(%q) err = %v, want a read error", ref, err)
		}
	}
}

func TestSamePlatforms(t *testing.T) {
	got := []Platform{{Platform: "linux/amd64"}, {Platform: "linux/arm64"}}
	if err := SamePlatforms([]string{"linux/arm64", "linux/amd64"}, got); err != nil {
		t.Errorf("same platforms: %v", err)
	}
	for _, tc := range []struct {
		want []string
		msg  string
	}{
		{[]string{"linux/amd64"}, "pushed platforms differ: linux/arm64 is pushed but not in the catalog"},
		{[]string{"linux/amd64", "linux/arm64", "linux/ppc64le"}, "pushed platforms differ: linux/ppc64le is not pushed"},
	} {
		if err := SamePlatforms(tc.want, got); err == nil || err.Error() != tc.msg {
			t.Errorf("SamePlatforms(%v) = %v, want %q", tc.want, err, tc.msg)
		}
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
