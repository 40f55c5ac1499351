// Package suites lists the test suites KFP's CI runs, one per component: the
// folder each needs in a KFP checkout, how it reports results, and the paths
// it reads, so that a list of changed files selects the suites that must run
// again ([Affected]).
package suites
