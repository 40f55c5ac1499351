// Package junit reads and writes JUnit XML, the test-report format CI systems
// display: it turns `go test -json` output into JUnit, and summarizes JUnit
// files written by pytest and node's test runner into passed, failed and
// skipped counts with the names of the failing tests.
package junit
