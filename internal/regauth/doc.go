// Package regauth binds registry credentials to registry hosts. The module's
// with-registry-auth records credentials under Host(address), and every
// registry call looks up Host of the reference it reaches, so each registry
// gets its own credentials and never another's.
package regauth
