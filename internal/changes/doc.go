// Package changes is the list of files that changed in a source checkout
// since a git ref, which decides what `--since` rebuilds and retests.
//
// The Dagger module never sees a checkout's .git/objects (they are left out
// of the uploaded source), so the list is made on the host, by [FromGit]
// (which runs the host's git) or by any other means, and handed to the module
// as text. The text form is one path a line ([Changes.String], [Parse]); the
// comma-separated form of a command-line flag or an action input is also
// accepted ([ParseList], [Changes.List]) for paths without commas.
//
// Paths are relative to the root of the source the module builds, use "/",
// and are clean: never absolute, never with a ".." element. A [Changes]
// holds them sorted and without duplicates. An empty Changes means that
// nothing changed, so nothing is selected; a caller that was given no list at
// all should select everything instead.
package changes
