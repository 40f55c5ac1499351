package main

// Severity is a vulnerability severity: the lowest that blocks a push or a
// release.
type Severity string

const (
	// SeverityLow blocks on any known vulnerability.
	SeverityLow Severity = "LOW"
	// SeverityMedium blocks on MEDIUM and above.
	SeverityMedium Severity = "MEDIUM"
	// SeverityHigh blocks on HIGH and CRITICAL.
	SeverityHigh Severity = "HIGH"
	// SeverityCritical blocks on CRITICAL only.
	SeverityCritical Severity = "CRITICAL"
)

// ReportFormat is how build-all and publish-all render their report.
type ReportFormat string

const (
	// ReportFormatMarkdown is a Markdown table per image and platform.
	ReportFormatMarkdown ReportFormat = "markdown"
	// ReportFormatJSON is the same report as JSON.
	ReportFormatJSON ReportFormat = "json"
)

// ListFormat is how images lists the catalog.
type ListFormat string

const (
	// ListFormatTable is an aligned text table.
	ListFormatTable ListFormat = "table"
	// ListFormatJSON is the catalog as JSON.
	ListFormatJSON ListFormat = "json"
)

// PlanFormat is how plan and a dry run print the phases.
type PlanFormat string

const (
	// PlanFormatText is the phases as text.
	PlanFormatText PlanFormat = "text"
	// PlanFormatJSON is the phases as JSON.
	PlanFormatJSON PlanFormat = "json"
)

// SbomFormat is the format of an SBOM.
type SbomFormat string

const (
	// SbomFormatSpdxJSON is SPDX 2.3 JSON.
	SbomFormatSpdxJSON SbomFormat = "spdx-json"
	// SbomFormatCyclonedxJSON is CycloneDX JSON.
	SbomFormatCyclonedxJSON SbomFormat = "cyclonedx-json"
)
