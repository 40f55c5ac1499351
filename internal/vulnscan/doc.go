// Package vulnscan holds the decisions around a vulnerability scan that do
// not need a scanner: the severity threshold (LOW, MEDIUM, HIGH, CRITICAL)
// and its one-line parse error, the findings at or above it read from
// Trivy's JSON report (schema 2), the one-line verdict a gate prints, the
// summary of a scan of many images, the SBOM formats the pipeline emits and
// the packages an SPDX or CycloneDX document lists, and a check that a SARIF
// report is well formed and carries a given rule.
//
// The Dagger module runs Trivy and hands its output here; the tests read the
// same files with the same code.
package vulnscan
