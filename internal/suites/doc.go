// Package suites lists the test suites KFP's CI runs, one per component: the
// folder each needs in a KFP checkout and how it reports results.
package suites
