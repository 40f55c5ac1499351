// Package signing holds the pure parts of signing and verifying images with
// cosign: the registry host of a reference and the same reference through a
// tunnel, the docker config.json that authenticates cosign to a registry,
// the cosign command lines for key-based and keyless (Fulcio/Rekor) signing
// and verification, the one-line explanation of a failed verification, and
// the GitHub Actions OIDC exchange that turns ACTIONS_ID_TOKEN_REQUEST_URL
// and ACTIONS_ID_TOKEN_REQUEST_TOKEN into the identity token keyless signing
// needs.
package signing
