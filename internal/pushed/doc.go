// Package pushed reads back what a publish left in a registry: for an image
// index or a single image manifest, each platform's manifest digest (where
// per-platform attachments such as SBOMs go) and image config digest (the
// image ID, which names the content whatever the layers' compression).
//
// It uses go-containerregistry and reaches the registry directly, or
// through a tunnel: a dialer that connects the registry's host:port to
// another address (a Dagger service endpoint in the module).
package pushed
