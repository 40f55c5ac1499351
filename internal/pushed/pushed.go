package pushed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Platform is one platform of a pushed image.
type Platform struct {
	// Platform is os/arch[/variant], e.g. linux/arm64.
	Platform string
	// Manifest is the digest of the platform's image manifest.
	Manifest string
	// Config is the digest of the platform's image config (the image ID).
	Config string
}

// Reader reads pushed images. The zero value reads anonymously and
// directly.
type Reader struct {
	auth   authn.Authenticator
	dialTo map[string]string // registry host:port -> address to dial
}

// Option configures a Reader.
type Option func(*Reader)

// New returns a Reader with the options applied.
func New(opts ...Option) *Reader {
	r := &Reader{}
	for _, o := range opts {
		o(r)
	}
	return r
}

// WithBasicAuth authenticates with a user name and password or token (token
// exchange included, as registries such as ghcr.io need). An empty user
// name means anonymous.
func WithBasicAuth(username, password string) Option {
	return func(r *Reader) {
		if username != "" {
			r.auth = authn.FromConfig(authn.AuthConfig{Username: username, Password: password})
		}
	}
}

// WithTunnel makes connections for registry host:port go to address
// instead, over plain http, e.g. a loopback registry reached through a
// tunnel.
func WithTunnel(registry, address string) Option {
	return func(r *Reader) {
		if r.dialTo == nil {
			r.dialTo = map[string]string{}
		}
		r.dialTo[registry] = address
	}
}

func (r *Reader) options(ctx context.Context) []remote.Option {
	auth := r.auth
	if auth == nil {
		auth = authn.Anonymous
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuth(auth)}
	if len(r.dialTo) > 0 {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		var d net.Dialer
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if to, ok := r.dialTo[addr]; ok {
				addr = to
			}
			return d.DialContext(ctx, network, addr)
		}
		opts = append(opts, remote.WithTransport(tr))
	}
	return opts
}

// Read returns every platform of the image ref names (by tag or digest),
// sorted by platform. An index gives its platform manifests (attestation
// entries of platform unknown/unknown are left out); a single manifest
// gives one platform, read from its config.
func (r *Reader) Read(ctx context.Context, ref string) ([]Platform, error) {
	n, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	if _, ok := r.dialTo[n.Context().RegistryStr()]; ok {
		// a tunnel carries plain http
		if n, err = name.ParseReference(ref, name.Insecure); err != nil {
			return nil, fmt.Errorf("read %s: %w", ref, err)
		}
	}
	opts := r.options(ctx)
	desc, err := remote.Get(n, opts...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	var out []Platform
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", ref, err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", ref, err)
		}
		for _, m := range im.Manifests {
			if !m.MediaType.IsImage() || m.Platform == nil || platformString(*m.Platform) == "unknown/unknown" {
				continue
			}
			img, err := idx.Image(m.Digest)
			if err != nil {
				return nil, fmt.Errorf("read %s (%s): %w", ref, platformString(*m.Platform), err)
			}
			cfg, err := img.ConfigName()
			if err != nil {
				return nil, fmt.Errorf("read %s (%s): %w", ref, platformString(*m.Platform), err)
			}
			out = append(out, Platform{Platform: platformString(*m.Platform), Manifest: m.Digest.String(), Config: cfg.String()})
		}
	} else if desc.MediaType.IsImage() {
		img, err := desc.Image()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", ref, err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", ref, err)
		}
		cfg, err := img.ConfigName()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", ref, err)
		}
		p := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
		out = append(out, Platform{Platform: platformString(p), Manifest: desc.Digest.String(), Config: cfg.String()})
	} else {
		return nil, fmt.Errorf("read %s: %s is neither an image nor an image index", ref, desc.MediaType)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("read %s: the index lists no platform image", ref)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Platform < out[j].Platform })
	return out, nil
}

// SamePlatforms fails unless the pushed platforms are exactly want, naming
// what is missing and what is extra.
func SamePlatforms(want []string, got []Platform) error {
	have := map[string]bool{}
	for _, p := range got {
		have[p.Platform] = true
	}
	var errs []string
	for _, w := range want {
		if !have[w] {
			errs = append(errs, w+" is not pushed")
		}
		delete(have, w)
	}
	extra := make([]string, 0, len(have))
	for p := range have {
		extra = append(extra, p)
	}
	sort.Strings(extra)
	for _, p := range extra {
		errs = append(errs, p+" is pushed but not in the catalog")
	}
	if len(errs) > 0 {
		return errors.New("pushed platforms differ: " + strings.Join(errs, "; "))
	}
	return nil
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
