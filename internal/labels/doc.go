// Package labels computes the OCI annotation labels (org.opencontainers.image.*)
// that every image kfp-dagger builds carries.
package labels
