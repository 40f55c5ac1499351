// Package fanout runs a fixed number of tasks with bounded parallelism and
// keeps the error of every task, not just the first.
//
// A pipeline that builds fifteen images wants to report every image that
// failed, so by default every task runs even when some fail. With fail-fast,
// the first failure cancels the rest instead, for runs where one failure
// makes the others pointless.
package fanout
