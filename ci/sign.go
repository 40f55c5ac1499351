package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kfp-dagger/kfp-dagger/ci/internal/dagger"
	"github.com/kfp-dagger/kfp-dagger/internal/pushed"
	"github.com/kfp-dagger/kfp-dagger/internal/regerr"
	"github.com/kfp-dagger/kfp-dagger/internal/signing"
	"github.com/kfp-dagger/kfp-dagger/internal/vulnscan"
)

// registryAlias is the host name a tunnelled registry has in the container.
const registryAlias = "kfp-registry"

// cosignOptions is how cosign reaches and authenticates to a registry.
type cosignOptions struct {
	image    string
	username string
	password *dagger.Secret
	tunnel   *dagger.Service // to a loopback registry, plain http
}

// secretNamed makes a Secret whose name is derived from its value, so equal
// values share one secret and different ones never collide.
func secretNamed(prefix, value string) *dagger.Secret {
	h := sha256.Sum256([]byte(value))
	return dag.SetSecret(prefix+"-"+hex.EncodeToString(h[:8]), value)
}

// container returns a cosign container that reaches ref's registry, and ref
// as the container names it. Registry credentials become a docker
// config.json mounted from a Secret, never an argument or a plain variable.
// Every call gets a fresh nonce so nothing is answered from the cache.
func (o cosignOptions) container(ctx context.Context, ref string) (*dagger.Container, string, signing.Registry, error) {
	var reg signing.Registry
	if _, _, err := signing.SplitHost(ref); err != nil {
		return nil, "", reg, err
	}
	ctr := cosignContainer(o.image)
	in := ref
	if o.tunnel != nil {
		var err error
		if ctr, in, err = withTunnel(ctx, ctr, o.tunnel, registryAlias, ref); err != nil {
			return nil, "", reg, err
		}
		reg.HTTP = true
	}
	if o.username != "" && o.password != nil {
		host, _, _ := signing.SplitHost(in)
		pw, err := o.password.Plaintext(ctx)
		if err != nil {
			return nil, "", reg, fmt.Errorf("registry password: %w", oneLine(err))
		}
		cfg, err := signing.DockerConfig(host, o.username, pw)
		if err != nil {
			return nil, "", reg, err
		}
		ctr = ctr.WithMountedSecret("/kfp/docker/config.json", secretNamed("kfp-docker-config", string(cfg))).
			WithEnvVariable("DOCKER_CONFIG", "/kfp/docker")
	}
	return ctr, in, reg, nil
}

// cosignContainer is the cosign image run as root (so mounted secrets are
// readable whatever user the image names; the official one is distroless
// and has no shell), with a fresh nonce so nothing is answered from the
// cache.
func cosignContainer(image string) *dagger.Container {
	return dag.Container().From(image).
		WithUser("0:0").
		WithEnvVariable("HOME", "/tmp").
		WithEnvVariable("KFP_NONCE", time.Now().UTC().Format(time.RFC3339Nano))
}

// KeyPair generates a cosign key pair offline and returns cosign.key (the
// private key, encrypted with the password, or with an empty password when
// none is given) and cosign.pub, for key-based sign and verify.
// +cache="never"
func (m *Kfp) KeyPair(
	ctx context.Context,
	// Password that encrypts the private key.
	// +optional
	password *dagger.Secret,
) (*dagger.Directory, error) {
	cosignImage := m.CosignImage
	ctr := cosignContainer(cosignImage).WithDirectory("/out", dag.Directory()).WithWorkdir("/out")
	if password != nil {
		ctr = ctr.WithSecretVariable("COSIGN_PASSWORD", password)
	} else {
		ctr = ctr.WithEnvVariable("COSIGN_PASSWORD", "")
	}
	dir := ctr.WithExec([]string{"cosign", "generate-key-pair", "--output-key-prefix", "/out/cosign"}).Directory("/out")
	if _, err := dir.Sync(ctx); err != nil {
		return nil, fmt.Errorf("key-pair: %w", oneLine(err))
	}
	return dir, nil
}

// resolve returns ref by digest, both as the caller and as the container
// name it; a tag is resolved in the registry.
func (o cosignOptions) resolve(ctx context.Context, ctr *dagger.Container, reg signing.Registry, ref, in string) (string, string, error) {
	out, err := ctr.WithExec(signing.DigestArgs(reg, in)).Stdout(ctx)
	if err != nil {
		return "", "", fmt.Errorf("resolve %s: %w", ref, oneLine(err))
	}
	d, err := signing.Digest(out)
	if err != nil {
		return "", "", fmt.Errorf("resolve %s: %w", ref, err)
	}
	outer, err := signing.WithDigest(ref, d)
	if err != nil {
		return "", "", err
	}
	inner, err := signing.WithDigest(in, d)
	return outer, inner, err
}

// Sign signs an image in a registry with cosign and returns the signed
// reference by digest. Key-based (with-signing-key, a cosign private key as a Secret)
// works offline: the signature goes to the registry only, not to Rekor,
// unless --tlog. Keyless signs with a Fulcio certificate for an OIDC
// identity and records in Rekor: pass --oidc-token, or on GitHub Actions
// (job permission id-token: write) --actions-id-token-request-url and
// --actions-id-token-request-token, which this function exchanges for a
// token with audience sigstore. An index is signed with every platform
// manifest in it (--recursive, the default).
// +cache="never"
func (m *Kfp) Sign(
	ctx context.Context,
	// Image to sign, by tag or digest, e.g. ghcr.io/kubeflow/kfp-driver:2.5.0.
	ref string,
	// Also record a key-based signature in Rekor (needs the network).
	// +optional
	tlog bool,
	// OIDC identity token for keyless signing (audience sigstore).
	// +optional
	oidcToken *dagger.Secret,
	// GitHub Actions: the job's ACTIONS_ID_TOKEN_REQUEST_URL, for keyless signing.
	// +optional
	actionsIdTokenRequestUrl string,
	// GitHub Actions: the job's ACTIONS_ID_TOKEN_REQUEST_TOKEN.
	// +optional
	actionsIdTokenRequestToken *dagger.Secret,
	// Fulcio of a private Sigstore instance (keyless); the public-good instance by default.
	// +optional
	fulcioUrl string,
	// Rekor of a private Sigstore instance (keyless).
	// +optional
	rekorUrl string,
	// Sign every platform manifest of an index too.
	// +optional
	// +default=true
	recursive bool,
) (string, error) {
	key, keyPassword := m.SigningKey, m.SigningKeyPassword
	s := signing.Signer{TLog: tlog, FulcioURL: fulcioUrl, RekorURL: rekorUrl}
	if key != nil {
		s.KeyPath = "/kfp/cosign/cosign.key"
	}
	token := oidcToken
	if token == nil && (actionsIdTokenRequestUrl != "" || actionsIdTokenRequestToken != nil) {
		if actionsIdTokenRequestToken == nil {
			return "", errors.New("sign: --actions-id-token-request-url needs --actions-id-token-request-token")
		}
		rt, err := actionsIdTokenRequestToken.Plaintext(ctx)
		if err != nil {
			return "", err
		}
		jwt, err := signing.GitHubIDToken(ctx, nil, actionsIdTokenRequestUrl, rt, signing.SigstoreAudience)
		if err != nil {
			return "", err
		}
		token = secretNamed("kfp-oidc-token", jwt)
	}
	if token != nil {
		s.IdentityTokenPath = "/kfp/oidc/token"
	}
	if err := s.Validate(); err != nil {
		return "", err
	}
	o := m.cosignFor(ref)
	ctr, in, reg, err := o.container(ctx, ref)
	if err != nil {
		return "", err
	}
	signed, inDigest, err := o.resolve(ctx, ctr, reg, ref, in)
	if err != nil {
		return "", err
	}
	if key != nil {
		ctr = ctr.WithMountedSecret(s.KeyPath, key)
		if keyPassword != nil {
			ctr = ctr.WithSecretVariable("COSIGN_PASSWORD", keyPassword)
		} else {
			ctr = ctr.WithEnvVariable("COSIGN_PASSWORD", "")
		}
	}
	if token != nil {
		ctr = ctr.WithMountedSecret(s.IdentityTokenPath, token)
	}
	args, err := signing.SignArgs(s, reg, inDigest, recursive)
	if err != nil {
		return "", err
	}
	if _, err := ctr.WithExec(args).Sync(ctx); err != nil {
		return "", fmt.Errorf("sign %s: %w", signed, oneLine(err))
	}
	return signed, nil
}

// Verify checks an image's cosign signature, or with --attestation-type
// its attestations of that type (stock `cosign verify-attestation`), and
// returns cosign's JSON description of what verified. Key-based: --public-key
// (cosign.pub); keyless: --certificate-identity or
// --certificate-identity-regexp and --certificate-oidc-issuer (GitHub
// Actions' issuer by default).
// +cache="never"
func (m *Kfp) Verify(
	ctx context.Context,
	// Image to verify, by tag or digest.
	ref string,
	// Cosign public key (cosign.pub) for key-based verification.
	// +optional
	publicKey *dagger.File,
	// Require a Rekor entry for a key-based signature (needs the network).
	// +optional
	tlog bool,
	// Keyless: the exact signer identity, e.g. https://github.com/OWNER/REPO/.github/workflows/release.yml@refs/heads/master.
	// +optional
	certificateIdentity string,
	// Keyless: a regular expression the signer identity must match.
	// +optional
	certificateIdentityRegexp string,
	// Keyless: the OIDC issuer of the signer identity.
	// +optional
	// +default="https://token.actions.githubusercontent.com"
	certificateOidcIssuer string,
	// Verify the attestations of this type instead of the signature, e.g. slsaprovenance1, spdxjson, vuln or a predicate type URI.
	// +optional
	attestationType string,
) (string, error) {
	v := signing.Verifier{TLog: tlog, AttestationType: attestationType, CertificateIdentity: certificateIdentity,
		CertificateIdentityRegexp: certificateIdentityRegexp, CertificateOIDCIssuer: certificateOidcIssuer}
	if publicKey != nil {
		v.PublicKeyPath = "/kfp/cosign/cosign.pub"
	}
	o := m.cosignFor(ref)
	ctr, in, reg, err := o.container(ctx, ref)
	if err != nil {
		return "", err
	}
	args, err := signing.VerifyArgs(v, reg, in)
	if err != nil {
		return "", err
	}
	if publicKey != nil {
		ctr = ctr.WithMountedFile(v.PublicKeyPath, publicKey)
	}
	run := ctr.WithExec(args, dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
	code, err := run.ExitCode(ctx)
	if err != nil {
		return "", fmt.Errorf("verify %s: %w", ref, oneLine(err))
	}
	stdout, _ := run.Stdout(ctx)
	if code == 0 {
		return stdout, nil
	}
	stderr, _ := run.Stderr(ctx)
	why := signing.ExplainVerify(stderr + "\n" + stdout)
	last := strings.Join(strings.Fields(lastLine(stderr)), " ")
	if why == "" {
		return "", fmt.Errorf("verify %s: cosign exited with code %d: %s", ref, code, last)
	}
	return "", fmt.Errorf("verify %s: %s (cosign: %s)", ref, why, last)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// sbomOptions is how SBOMs are made and attached to pushed images.
type sbomOptions struct {
	format     vulnscan.SBOMFormat
	trivyImage string
	cosign     cosignOptions
}

// sbomOptions checks the SBOM format and attaches with cosign to the
// registry of ref; call it before building anything.
func (m *Kfp) sbomOptions(format SbomFormat, ref string) (*sbomOptions, error) {
	f, err := vulnscan.ParseSBOMFormat(string(format))
	if err != nil {
		return nil, err
	}
	return &sbomOptions{format: f, trivyImage: m.TrivyImage, cosign: m.cosignFor(ref)}, nil
}

// cosignFor is how cosign reaches the registry of ref: the cosign image
// with-cosign set, that registry's credentials and the registry tunnel.
func (m *Kfp) cosignFor(ref string) cosignOptions {
	username, password := m.credentialsFor(ref)
	return cosignOptions{image: m.CosignImage, username: username, password: password, tunnel: m.RegistryTunnel}
}

// reader returns a registry reader for ref with these credentials, through
// the tunnel when there is one.
func (o cosignOptions) reader(ctx context.Context, ref string) (*pushed.Reader, error) {
	var opts []pushed.Option
	if o.username != "" && o.password != nil {
		pw, err := o.password.Plaintext(ctx)
		if err != nil {
			return nil, fmt.Errorf("registry password: %w", oneLine(err))
		}
		opts = append(opts, pushed.WithBasicAuth(o.username, pw))
	}
	if o.tunnel != nil {
		host, _, err := signing.SplitHost(ref)
		if err != nil {
			return nil, err
		}
		svc, err := o.tunnel.Start(ctx)
		if err != nil {
			return nil, fmt.Errorf("registry tunnel: %w", oneLine(err))
		}
		ep, err := svc.Endpoint(ctx)
		if err != nil {
			return nil, fmt.Errorf("registry tunnel: %w", oneLine(err))
		}
		opts = append(opts, pushed.WithTunnel(host, ep))
	}
	return pushed.New(opts...), nil
}

// attachSBOMs writes the SBOM of each platform of an image just pushed as
// ref (…@sha256:<index or manifest digest>) and attaches it with cosign to
// that platform's manifest, where `cosign download sbom --platform …` finds
// it (tag sha256-<manifest digest>.sbom). It reads the platforms back from
// the registry and makes each SBOM from the pushed platform image itself,
// so the SBOM describes exactly what the registry holds. When want is not
// nil, the pushed platforms must be exactly those. o nil means no SBOM.
//
// It returns one line per platform: the platform and the SBOM's tag.
// publish calls it in Kfp.push after every tag is pushed.
func (m *Kfp) attachSBOMs(ctx context.Context, ref string, want []string, o *sbomOptions) ([]string, error) {
	if o == nil {
		return nil, nil
	}
	host, _, err := signing.SplitHost(ref)
	if err != nil {
		return nil, fmt.Errorf("attach SBOM: %w", err)
	}
	r, err := o.cosign.reader(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("attach SBOM to %s: %w", ref, err)
	}
	got, err := r.Read(ctx, ref)
	if err != nil {
		if cause := errors.Unwrap(err); cause != nil {
			err = cause // Read names ref; Explain names it again
		}
		return nil, fmt.Errorf("attach SBOM: %w", regerr.Explain("read back "+ref, host, o.cosign.username, err))
	}
	if want != nil {
		if err := pushed.SamePlatforms(want, got); err != nil {
			return nil, fmt.Errorf("attach SBOM to %s: %w", ref, err)
		}
	}
	var tags []string
	for _, p := range got {
		target, err := signing.WithDigest(ref, p.Manifest)
		if err != nil {
			return nil, err
		}
		img := dag.Container(dagger.ContainerOpts{Platform: dagger.Platform(p.Platform)})
		if o.cosign.username != "" && o.cosign.password != nil {
			img = img.WithRegistryAuth(host, o.cosign.username, o.cosign.password)
		}
		img = img.From(target)
		ctr, in, reg, err := o.cosign.container(ctx, target)
		if err != nil {
			return nil, err
		}
		path := "/kfp/sbom/" + o.format.File
		args := signing.AttachSBOMArgs(reg, path, o.format.Cosign, in)
		if _, err := ctr.WithMountedFile(path, sbomFile(img, o.format, o.trivyImage)).WithExec(args).Sync(ctx); err != nil {
			return nil, fmt.Errorf("attach SBOM to %s (%s): %w", ref, p.Platform, oneLine(err))
		}
		tags = append(tags, p.Platform+"\t"+strings.Replace(target, "@sha256:", ":sha256-", 1)+".sbom")
	}
	return tags, nil
}

// AttachSbom makes the SBOM of each platform of an image already pushed as
// ref, by digest (what publish returns), from the pushed image itself, and
// attaches it to that platform's manifest with cosign. Returns the SBOM tags
// it wrote.
// +cache="never"
func (m *Kfp) AttachSbom(
	ctx context.Context,
	// The pushed image by digest, e.g. ghcr.io/kubeflow/kfp-driver:2.5.0@sha256:… (what publish prints).
	ref string,
	// SBOM format.
	// +optional
	// +default="spdx-json"
	format SbomFormat,
) (string, error) {
	if !strings.Contains(ref, "@sha256:") {
		return "", fmt.Errorf("attach-sbom: ref %q must name the pushed image by digest (…@sha256:…)", ref)
	}
	o, err := m.sbomOptions(format, ref)
	if err != nil {
		return "", err
	}
	tags, err := m.attachSBOMs(ctx, ref, nil, o)
	if err != nil {
		return "", err
	}
	return strings.Join(tags, "\n") + "\n", nil
}
