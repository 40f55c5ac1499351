// Package oneline turns the errors that come back from the Dagger engine into
// the one line worth showing a user: the engine's message without the GraphQL
// query in front of it, or a failed command's exit code and its last output.
package oneline
