package e2e

import (
	"bytes"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestPasswordNeverLeaks publishes with the registry password as a Secret and
// looks for the password in everything the run produced: the CLI's stdout and
// stderr (the engine log), the JSON report, and every pushed manifest, image
// config and layer.
func TestPasswordNeverLeaks(t *testing.T) {
	e := requireEnv(t)
	repo := e.uniqueRepo("secret")
	res := e.dagger(t, slices.Concat([]string{"--commit=" + testCommit}, e.access(), []string{"publish-all",
		"--images=metadata-envoy,inverse-proxy-agent", "--format=json", "--registry=" + repo, "--smoke=false"})...)
	out := res.mustSucceed(t)
	pw := []byte(e.password)
	if len(pw) < 8 {
		t.Fatalf("registry password %q is too short to search for", e.password)
	}
	for name, text := range map[string]string{"stdout (report)": out, "stderr (engine log)": res.stderr} {
		if strings.Contains(text, e.password) {
			t.Errorf("the registry password appears in the CLI's %s", name)
		}
	}
	r := parseReport(t, out)
	checked := 0
	for _, img := range r.Results {
		for _, ref := range img.References {
			for where, b := range pushedBlobs(t, e, ref) {
				if bytes.Contains(b, pw) {
					t.Errorf("%s: password in %s", ref, where)
				}
				if strings.HasPrefix(where, "layer ") {
					checked++
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no layer was checked")
	}
	t.Logf("e2e: password absent from stdout, stderr, %d images' manifests, configs and %d layers", len(r.Results), checked)
}

// pushedBlobs reads what ref holds in the registry: its manifest and, for
// every platform image (an index's children, or the one image), the
// manifest, the config and each layer uncompressed, keyed by what they are.
func pushedBlobs(t *testing.T, e env, ref string) map[string][]byte {
	t.Helper()
	desc, err := remote.Get(parseRef(t, ref), e.remoteOpts()...)
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	out := map[string][]byte{"manifest " + desc.Digest.String(): desc.Manifest}
	var images []v1.Image
	if desc.MediaType.IsIndex() {
		idx, im := readIndex(t, desc)
		for _, d := range im.Manifests {
			m, err := idx.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			images = append(images, m)
		}
	} else {
		// a single-platform image is pushed as a plain manifest
		m, err := desc.Image()
		if err != nil {
			t.Fatal(err)
		}
		images = append(images, m)
	}
	for _, m := range images {
		maps.Copy(out, imageBlobs(t, m))
	}
	return out
}

// imageBlobs reads what an image is made of, keyed by what each part is:
// its manifest, its config and every layer, uncompressed.
func imageBlobs(t *testing.T, m v1.Image) map[string][]byte {
	t.Helper()
	d, err := m.Digest()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := m.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := m.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{"platform manifest " + d.String(): raw, "config of " + d.String(): cfg}
	layers, err := m.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		ld, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out["layer "+ld.String()] = b
	}
	return out
}
