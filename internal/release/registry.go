package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/kfp-dagger/kfp-dagger/internal/regerr"
	"github.com/kfp-dagger/kfp-dagger/internal/retry"
)

// Registry is everything the transaction asks of a registry. [Remote]
// implements it with go-containerregistry; every method of Remote retries
// transient failures itself, so callers never retry.
type Registry interface {
	// Head returns the descriptor of the manifest ref names (tag or
	// digest): media type, digest and size.
	Head(ctx context.Context, ref name.Reference) (v1.Descriptor, error)
	// Get returns the manifest ref names, with its descriptor.
	Get(ctx context.Context, ref name.Reference) (Manifest, error)
	// Blob returns the content of a small blob, e.g. an image config,
	// verified against its digest.
	Blob(ctx context.Context, repo name.Repository, digest v1.Hash) ([]byte, error)
	// Put writes a manifest or index under ref (a tag or its digest). The
	// manifests and blobs it refers to must already be in the repository.
	Put(ctx context.Context, ref name.Reference, m Manifest) error
	// Tag points tag at the manifest with the given digest in the same
	// repository, reading that manifest by digest, never through a tag.
	Tag(ctx context.Context, tag name.Tag, digest v1.Hash) error
}

// Manifest is a manifest or index as the registry holds it: the raw bytes
// and their descriptor. It is a remote.Taggable and a mutate.Appendable.
type Manifest struct {
	// Descriptor has the media type, digest and size of Raw.
	Descriptor v1.Descriptor
	// Raw is the manifest as stored.
	Raw []byte
}

// NewManifest returns raw as a Manifest of the given media type, its digest
// and size computed.
func NewManifest(mediaType types.MediaType, raw []byte) (Manifest, error) {
	h, size, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return Manifest{}, err
	}
	return Manifest{Descriptor: v1.Descriptor{MediaType: mediaType, Digest: h, Size: size}, Raw: raw}, nil
}

// RawManifest returns the raw manifest.
func (m Manifest) RawManifest() ([]byte, error) { return m.Raw, nil }

// MediaType returns the manifest's media type.
func (m Manifest) MediaType() (types.MediaType, error) { return m.Descriptor.MediaType, nil }

// Digest returns the manifest's digest.
func (m Manifest) Digest() (v1.Hash, error) { return m.Descriptor.Digest, nil }

// Size returns the manifest's size in bytes.
func (m Manifest) Size() (int64, error) { return m.Descriptor.Size, nil }

// maxBlob bounds what Blob reads: image configs are kilobytes.
const maxBlob = 16 << 20

// Remote is a [Registry] over HTTP, with go-containerregistry. Each call is
// retried under its [RetryPolicy], with go-containerregistry's own retries
// switched off, and the retries are counted per repository. Errors are one
// line that names the operation and the reference (so the registry host)
// and says refused credentials, denied access or an unreachable registry in
// words (internal/regerr); they keep their chain, so a *transport.Error can
// still be inspected. A Remote is safe for concurrent use.
type Remote struct {
	auth      authn.Authenticator
	user      string
	transport http.RoundTripper
	policy    RetryPolicy

	mu      sync.Mutex
	sess    *session
	retries map[string]int
}

// RemoteOption configures a [Remote].
type RemoteOption func(*Remote)

// WithAuth authenticates every call with a.
func WithAuth(a authn.Authenticator) RemoteOption {
	return func(r *Remote) { r.auth = a }
}

// WithBasicAuth authenticates with a user name and password or token (with
// the token exchange registries such as ghcr.io need). An empty user name
// means anonymous.
func WithBasicAuth(username, password string) RemoteOption {
	return func(r *Remote) {
		if username != "" {
			r.auth = authn.FromConfig(authn.AuthConfig{Username: username, Password: password})
			r.user = username
		}
	}
}

// WithTransport sends requests through t instead of a clone of
// go-containerregistry's default transport.
func WithTransport(t http.RoundTripper) RemoteOption {
	return func(r *Remote) { r.transport = t }
}

// WithRetryPolicy sets the retry policy; the default is
// [DefaultRetryPolicy].
func WithRetryPolicy(p RetryPolicy) RemoteOption {
	return func(r *Remote) { r.policy = p }
}

// NewRemote returns a Remote with the options applied, or an error if its
// retry policy is invalid.
func NewRemote(opts ...RemoteOption) (*Remote, error) {
	r := &Remote{auth: authn.Anonymous, policy: DefaultRetryPolicy(), retries: map[string]int{}}
	for _, o := range opts {
		o(r)
	}
	if err := r.policy.Validate(); err != nil {
		return nil, err
	}
	if r.transport == nil {
		r.transport = remote.DefaultTransport
		if t, ok := remote.DefaultTransport.(*http.Transport); ok {
			r.transport = t.Clone()
		}
	}
	r.transport = &retryAfterTransport{inner: r.transport}
	return r, nil
}

// Retries returns how many retries calls on repository (e.g.
// ghcr.io/kubeflow/kfp-driver) have needed so far.
func (r *Remote) Retries(repository string) int {
	key := repository
	if n, err := name.NewRepository(repository); err == nil {
		key = n.Name()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.retries[key]
}

// session is a go-containerregistry Puller and Pusher: they remember, per
// repository, the registry's auth challenge and token, so the calls after
// the first skip the ping and the token exchange. Each call passes its own
// context.
type session struct {
	puller *remote.Puller
	pusher *remote.Pusher
}

// session returns the current session, making one if there is none.
func (r *Remote) session() (*session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sess != nil {
		return r.sess, nil
	}
	opts := []remote.Option{
		remote.WithAuth(r.auth),
		remote.WithTransport(r.transport),
		// no retries of go-containerregistry's own: every retry is ours
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
		remote.WithRetryPredicate(func(error) bool { return false }),
		remote.WithRetryStatusCodes(),
	}
	pl, err := remote.NewPuller(opts...)
	if err != nil {
		return nil, err
	}
	ps, err := remote.NewPusher(opts...)
	if err != nil {
		return nil, err
	}
	r.sess = &session{puller: pl, pusher: ps}
	return r.sess, nil
}

// drop forgets s after a failed attempt, so that the next attempt starts
// afresh: a Puller or Pusher keeps the error of a failed ping for good.
func (r *Remote) drop(s *session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sess == s {
		r.sess = nil
	}
}

// call runs op under the retry policy, counts its retries against repo, and
// explains its error.
func (r *Remote) call(ctx context.Context, repo name.Repository, what string, op func(ctx context.Context, s *session) error) error {
	st, err := r.policy.do(ctx, func(ctx context.Context) error {
		s, err := r.session()
		if err != nil {
			return retry.Permanent(err)
		}
		if err := op(ctx, s); err != nil {
			r.drop(s)
			return err
		}
		return nil
	})
	if st.Retries > 0 {
		r.mu.Lock()
		r.retries[repo.Name()] += st.Retries
		r.mu.Unlock()
	}
	if err != nil {
		return explain(what, repo.RegistryStr(), r.user, err)
	}
	return nil
}

// explain puts err on one line after what. Refused credentials, denied
// access and an unreachable registry are said in words, by internal/regerr;
// but regerr judges by text, so a typed status that disagrees with its
// judgement (say, a 404 whose body says DENIED) keeps the plain message.
func explain(what, host, user string, err error) error {
	err = oneLine(err)
	var re *regerr.Error
	if !errors.As(regerr.Explain(what, host, user, err), &re) {
		return fmt.Errorf("%s: %w", what, err)
	}
	status := 0
	if te := (*transport.Error)(nil); errors.As(err, &te) {
		status = te.StatusCode
	}
	switch {
	case re.Kind == regerr.Unauthorized && (status == 0 || status == http.StatusUnauthorized),
		re.Kind == regerr.Denied && (status == 0 || status == http.StatusForbidden),
		re.Kind == regerr.Unreachable && status == 0:
		return re
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Head implements [Registry].
func (r *Remote) Head(ctx context.Context, ref name.Reference) (v1.Descriptor, error) {
	var d v1.Descriptor
	err := r.call(ctx, ref.Context(), "head manifest "+ref.String(), func(ctx context.Context, s *session) error {
		got, err := s.puller.Head(ctx, ref)
		if err == nil {
			d = *got
		}
		return err
	})
	return d, err
}

// Get implements [Registry].
func (r *Remote) Get(ctx context.Context, ref name.Reference) (Manifest, error) {
	var m Manifest
	err := r.call(ctx, ref.Context(), "get manifest "+ref.String(), func(ctx context.Context, s *session) error {
		got, err := s.puller.Get(ctx, ref)
		if err == nil {
			m = Manifest{Descriptor: got.Descriptor, Raw: got.Manifest}
		}
		return err
	})
	return m, err
}

// Blob implements [Registry].
func (r *Remote) Blob(ctx context.Context, repo name.Repository, digest v1.Hash) ([]byte, error) {
	var b []byte
	ref := repo.Digest(digest.String())
	err := r.call(ctx, repo, "get blob "+ref.String(), func(ctx context.Context, s *session) error {
		l, err := s.puller.Layer(ctx, ref)
		if err != nil {
			return err
		}
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		defer rc.Close()
		got, err := io.ReadAll(io.LimitReader(rc, maxBlob+1))
		if err != nil {
			return err
		}
		if len(got) > maxBlob {
			return retry.Permanent(fmt.Errorf("blob is larger than %d bytes", maxBlob))
		}
		b = got
		return nil
	})
	return b, err
}

// Put implements [Registry].
func (r *Remote) Put(ctx context.Context, ref name.Reference, m Manifest) error {
	return r.call(ctx, ref.Context(), "put manifest "+ref.String(), func(ctx context.Context, s *session) error {
		return s.pusher.Put(ctx, ref, m)
	})
}

// Tag implements [Registry].
func (r *Remote) Tag(ctx context.Context, tag name.Tag, digest v1.Hash) error {
	m, err := r.Get(ctx, tag.Context().Digest(digest.String()))
	if err != nil {
		return fmt.Errorf("tag %s: %w", tag, err)
	}
	if m.Descriptor.Digest != digest {
		return fmt.Errorf("tag %s: the registry returned %s for %s", tag, m.Descriptor.Digest, digest)
	}
	return r.Put(ctx, tag, m)
}

// CheckPush proves, before anything is written, that the registry answers
// and accepts the credentials for a push to repo: it starts a blob upload,
// as every push begins, and cancels it. Nothing is stored; a registry that
// refuses says so here rather than after the builds.
func (r *Remote) CheckPush(ctx context.Context, repo name.Repository) error {
	return r.call(ctx, repo, "check push access to "+repo.String(), func(ctx context.Context, _ *session) error {
		tr, err := transport.NewWithContext(ctx, repo.Registry, r.auth, r.transport, []string{repo.Scope(transport.PushScope)})
		if err != nil {
			return err
		}
		client := &http.Client{Transport: tr}
		u := &url.URL{Scheme: repo.Scheme(), Host: repo.RegistryStr(), Path: "/v2/" + repo.RepositoryStr() + "/blobs/uploads/"}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
		if err != nil {
			return retry.Permanent(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if err := transport.CheckError(resp, http.StatusAccepted); err != nil {
			return err
		}
		loc, err := u.Parse(resp.Header.Get("Location"))
		if err != nil || resp.Header.Get("Location") == "" {
			return nil // accepted; nothing to cancel
		}
		if del, err := http.NewRequestWithContext(ctx, http.MethodDelete, loc.String(), nil); err == nil {
			if resp, err := client.Do(del); err == nil {
				resp.Body.Close() // best effort: an unfinished upload holds no content
			}
		}
		return nil
	})
}

// oneLineError is an error whose message is folded onto one line and
// shortened; Unwrap gives the original.
type oneLineError struct{ err error }

const maxMessage = 600

func (e oneLineError) Error() string {
	s := strings.Join(strings.Fields(e.err.Error()), " ")
	if len(s) > maxMessage {
		s = s[:maxMessage] + "…"
	}
	return s
}

func (e oneLineError) Unwrap() error { return e.err }

// oneLine returns err with its message on one line.
func oneLine(err error) error {
	if err == nil {
		return nil
	}
	return oneLineError{err}
}
