// Package evidence is the pure-Go core of kfp-dagger's release evidence:
// the in-toto statements made for every staged image index (SLSA
// provenance v1, a vulnerability verdict with its policy, a smoke result per
// platform; SBOMs are SPDX documents), the DSSE envelopes they travel in
// and the check of a signature over one, and [Check], the rules
// verify-release applies to what it found for one image.
//
// Signing and storing the envelopes is cosign's (in a container, by the
// module); this package never holds a private key outside tests.
package evidence
