// Package gitsource reads what a build needs to know about a source checkout
// from the files of its .git directory alone (HEAD, loose refs, packed-refs),
// so it works on a directory handed to a Dagger function without a git binary.
package gitsource
