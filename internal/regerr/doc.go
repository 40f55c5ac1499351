// Package regerr turns the errors a registry push or pull produces (through
// the Dagger engine, containerd or go-containerregistry) into one clear line
// that names the registry and the problem: refused credentials, denied
// access, a registry that is down, or a missing image.
package regerr
