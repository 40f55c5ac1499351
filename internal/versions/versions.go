package versions

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// FileName is the versions file's name at the repository root.
const FileName = "versions.env"

// Pins maps each KEY of versions.env to its value.
type Pins map[string]string

var line = regexp.MustCompile(`^([A-Z][A-Z0-9_]*)=([A-Za-z0-9._+:-]+)$`)

// Parse reads KEY=VALUE lines; blank lines and lines starting with # are
// skipped. Values are plain words (no quotes, no expansions), so a shell
// sourcing the file and Parse read the same values. A malformed or repeated
// line is an error naming its number.
func Parse(data []byte) (Pins, error) {
	p := Pins{}
	s := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; s.Scan(); n++ {
		t := strings.TrimSpace(s.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		m := line.FindStringSubmatch(t)
		if m == nil {
			return nil, fmt.Errorf("%s line %d: %q is not KEY=value", FileName, n, t)
		}
		if _, dup := p[m[1]]; dup {
			return nil, fmt.Errorf("%s line %d: %s is set twice", FileName, n, m[1])
		}
		p[m[1]] = m[2]
	}
	return p, s.Err()
}

// Load reads versions.env from the repository root dir.
func Load(root string) (Pins, error) {
	data, err := os.ReadFile(filepath.Join(root, FileName))
	if err != nil {
		return nil, fmt.Errorf("read versions: %w", err)
	}
	return Parse(data)
}

// Get returns the value of key, or an error naming the missing key.
func (p Pins) Get(key string) (string, error) {
	v, ok := p[key]
	if !ok {
		return "", fmt.Errorf("%s has no %s", FileName, key)
	}
	return v, nil
}

// TrivyImage is the default Trivy image (with-trivy --image): Trivy's official image, tagged
// with the version less its leading "v".
func (p Pins) TrivyImage() string {
	return "aquasec/trivy:" + strings.TrimPrefix(p["TRIVY_VERSION"], "v")
}

// TrivyDefault is the module's default Trivy image (with-trivy --image): the official image by
// tag and index digest.
func (p Pins) TrivyDefault() string {
	return p.TrivyImage() + "@" + p["TRIVY_IMAGE_DIGEST"]
}

// CosignImage is cosign's image path (without the gcr.io host), tagged with
// the version as cosign tags it ("v3.1.3").
func (p Pins) CosignImage() string {
	return "projectsigstore/cosign:" + p["COSIGN_VERSION"]
}

// CosignDefault is the module's default cosign image (with-cosign --image): the official image
// by tag and index digest.
func (p Pins) CosignDefault() string {
	return "gcr.io/" + p.CosignImage() + "@" + p["COSIGN_IMAGE_DIGEST"]
}
