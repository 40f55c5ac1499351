// Package evidence is the pure-Go core of kfp-dagger's release evidence:
// the in-toto statements made for every staged image index (SLSA
// provenance v1, a vulnerability verdict with its policy, a smoke result per
// platform; SBOMs are SPDX documents), the DSSE envelopes they travel in
// and the check of a signature over one, and [Check], the rules
// verify-release applies to what it found for one image.
//
// Signing and storing the envelopes is cosign's (in a container, by the
// module); this package never holds a private key outside tests. What
// cosign v3.1.3 writes, read from its source and tried against
// distribution v3.1.2 (which has no referrers API):
//
//   - `cosign attest --key` needs --use-signing-config=false with
//     --tlog-upload=false (offline, air-gapped); the statement it signs is
//     in-toto v0.1 (protojson), the signature ECDSA P-256 over SHA-256 of
//     the DSSE PAE, ASN.1, with no keyid.
//   - By default (--new-bundle-format) each attestation is a Sigstore
//     bundle v0.3 (its dsseEnvelope holds the envelope) in a manifest whose
//     subject is the image; without a referrers API go-containerregistry
//     lists those manifests in an index under the tag sha256-<hex>.
//   - With --new-bundle-format=false they are layers
//     (application/vnd.dsse.envelope.v1+json, the envelope itself) of the
//     image under the tag sha256-<hex>.att.
//   - cosign verify-attestation reads the bundles when there are any, the
//     .att tag otherwise, never both.
package evidence
