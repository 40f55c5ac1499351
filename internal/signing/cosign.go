package signing

import (
	"errors"
	"strings"
)

// Signer says how cosign signs: with a private key, or keyless with an
// identity token for Fulcio and an entry in Rekor.
type Signer struct {
	// KeyPath is the private key inside the container (key-based).
	KeyPath string
	// IdentityTokenPath is a file holding the OIDC token (keyless).
	IdentityTokenPath string
	// FulcioURL and RekorURL replace the public-good Sigstore instance
	// (keyless); empty uses cosign's signing config from Sigstore's TUF root.
	FulcioURL, RekorURL string
	// TLog uploads a key-based signature to Rekor too (needs the network);
	// off, key-based signing works offline.
	TLog bool
}

// Registry says how cosign reaches the registry.
type Registry struct {
	// HTTP allows a plain-http registry (a loopback or tunnelled one).
	HTTP bool
}

func (r Registry) args() []string {
	if !r.HTTP {
		return nil
	}
	return []string{"--allow-insecure-registry", "--allow-http-registry"}
}

// Validate checks that exactly one way of signing is chosen.
func (s Signer) Validate() error {
	switch {
	case s.KeyPath != "" && s.IdentityTokenPath != "":
		return errors.New("sign: pass either a key (key-based) or an OIDC token (keyless), not both")
	case s.KeyPath == "" && s.IdentityTokenPath == "":
		return errors.New("sign: call with-signing-key first (key-based, works offline) or an OIDC token: --oidc-token, or --actions-id-token-request-url and --actions-id-token-request-token on GitHub Actions (keyless)")
	case s.KeyPath == "" && s.TLog:
		return errors.New("sign: --tlog is for key-based signing; keyless signing always records in Rekor")
	case s.KeyPath != "" && (s.FulcioURL != "" || s.RekorURL != ""):
		return errors.New("sign: --fulcio-url and --rekor-url are for keyless signing")
	}
	return nil
}

// SignArgs is the cosign command line that signs ref and, with recursive,
// every platform manifest of an index.
func SignArgs(s Signer, r Registry, ref string, recursive bool) ([]string, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	args := []string{"cosign", "sign", "--yes"}
	if s.KeyPath != "" {
		args = append(args, "--key", s.KeyPath)
		if !s.TLog {
			args = append(args, "--tlog-upload=false", "--use-signing-config=false")
		}
	} else {
		args = append(args, "--identity-token", s.IdentityTokenPath)
		if s.FulcioURL != "" || s.RekorURL != "" {
			args = append(args, "--use-signing-config=false")
			if s.FulcioURL != "" {
				args = append(args, "--fulcio-url", s.FulcioURL)
			}
			if s.RekorURL != "" {
				args = append(args, "--rekor-url", s.RekorURL)
			}
		}
	}
	if recursive {
		args = append(args, "--recursive")
	}
	args = append(args, r.args()...)
	return append(args, ref), nil
}

// Verifier says what a signature must match.
type Verifier struct {
	// PublicKeyPath is the public key inside the container (key-based).
	PublicKeyPath string
	// TLog requires a Rekor entry for a key-based signature.
	TLog bool
	// AttestationType, when set, verifies the attestations of that type
	// (cosign verify-attestation --type) instead of the signature.
	AttestationType string
	// CertificateIdentity or CertificateIdentityRegexp, and
	// CertificateOIDCIssuer, pin a keyless signature to a signer, e.g.
	// https://github.com/OWNER/REPO/.github/workflows/release.yml@refs/heads/master
	// and https://token.actions.githubusercontent.com.
	CertificateIdentity, CertificateIdentityRegexp, CertificateOIDCIssuer string
}

// VerifyArgs is the cosign command line that verifies ref.
func VerifyArgs(v Verifier, r Registry, ref string) ([]string, error) {
	args := []string{"cosign", "verify", "--output", "json"}
	if v.AttestationType != "" {
		args = []string{"cosign", "verify-attestation", "--type", v.AttestationType, "--output", "json"}
	}
	switch {
	case v.PublicKeyPath != "" && (v.CertificateIdentity != "" || v.CertificateIdentityRegexp != ""):
		return nil, errors.New("verify: pass either a public key or a certificate identity, not both")
	case v.PublicKeyPath != "":
		args = append(args, "--key", v.PublicKeyPath)
		if !v.TLog {
			args = append(args, "--insecure-ignore-tlog=true")
		}
	case v.CertificateIdentity != "" || v.CertificateIdentityRegexp != "":
		if v.CertificateOIDCIssuer == "" {
			return nil, errors.New("verify: keyless verification needs --certificate-oidc-issuer")
		}
		if v.CertificateIdentity != "" {
			args = append(args, "--certificate-identity", v.CertificateIdentity)
		} else {
			args = append(args, "--certificate-identity-regexp", v.CertificateIdentityRegexp)
		}
		args = append(args, "--certificate-oidc-issuer", v.CertificateOIDCIssuer)
	default:
		return nil, errors.New("verify: pass --public-key (key-based) or --certificate-identity / --certificate-identity-regexp (keyless)")
	}
	args = append(args, r.args()...)
	return append(args, ref), nil
}

// AttestArgs is the cosign command line that signs the predicate at
// predicatePath as an in-toto statement of type cosignType about ref (a
// digest reference) with the key at keyPath, offline: nothing goes to
// Rekor, and no TUF signing config is fetched. cosign v3 stores the
// Sigstore bundle as an OCI 1.1 referrer, or under the referrers fallback
// tag sha256-<hex> where the registry has no referrers API.
func AttestArgs(keyPath string, r Registry, cosignType, predicatePath, ref string) []string {
	args := []string{"cosign", "attest", "--yes", "--key", keyPath, "--tlog-upload=false", "--use-signing-config=false",
		"--type", cosignType, "--predicate", predicatePath}
	args = append(args, r.args()...)
	return append(args, ref)
}

// PublicKeyArgs is the cosign command line that prints the PEM public key
// of the private key at keyPath (its password in COSIGN_PASSWORD): a wrong
// password fails here, before anything is written.
func PublicKeyArgs(keyPath string) []string {
	return []string{"cosign", "public-key", "--key", keyPath}
}

// AttachSBOMArgs is the cosign command line that attaches an SBOM file to
// the image ref (a digest reference), where `cosign download sbom` finds it.
func AttachSBOMArgs(r Registry, sbomPath, sbomType, ref string) []string {
	args := []string{"cosign", "attach", "sbom", "--sbom", sbomPath, "--type", sbomType, "--input-format", "json"}
	args = append(args, r.args()...)
	return append(args, ref)
}

// ExplainVerify turns cosign verify's output into the reason verification
// failed, in one line.
func ExplainVerify(output string) string {
	low := strings.ToLower(output)
	switch {
	case strings.Contains(low, "no signatures found") || strings.Contains(low, "no matching signatures: no signatures"):
		return "the image has no signature"
	case strings.Contains(low, "accepted signatures do not match threshold") ||
		strings.Contains(low, "invalid signature when validating") ||
		strings.Contains(low, "failed to verify signature") ||
		strings.Contains(low, "verification error"):
		return "no signature matches the given key or identity"
	case strings.Contains(low, "unauthorized") || strings.Contains(low, "authentication required"):
		return "the registry refused the credentials"
	case strings.Contains(low, "manifest unknown") || strings.Contains(low, "name unknown"):
		return "the image is not in the registry"
	}
	return ""
}

// DigestArgs is the cosign command line that prints ref's digest reference
// (repository@sha256:…), resolving a tag.
func DigestArgs(r Registry, ref string) []string {
	args := []string{"cosign", "triangulate", "--type", "digest"}
	args = append(args, r.args()...)
	return append(args, ref)
}
