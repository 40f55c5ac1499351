package report

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Status is the outcome for one image.
type Status string

// The outcomes of an image.
const (
	// StatusPublished means built and pushed.
	StatusPublished Status = "published"
	// StatusStaged means pushed by digest under a staging tag; no tag a
	// user pulls moved (stage).
	StatusStaged Status = "staged"
	// StatusBuilt means built (and tested), not pushed.
	StatusBuilt Status = "built"
	// StatusPlanned means it would be built; nothing ran (a dry run).
	StatusPlanned Status = "planned"
	// StatusFailed means an error stopped the image.
	StatusFailed Status = "failed"
	// StatusSkipped means not needed, e.g. unaffected by the change.
	StatusSkipped Status = "skipped"
)

// ImageResult is the outcome for one image.
type ImageResult struct {
	Image      string        `json:"image"`
	Platforms  []string      `json:"platforms"`
	Digest     string        `json:"digest"`
	Tags       []string      `json:"tags"`
	References []string      `json:"references"`
	SizeBytes  int64         `json:"size_bytes"`
	Duration   time.Duration `json:"-"` // as duration_seconds
	Retries    int           `json:"retries"`
	Status     Status        `json:"status"`
	Error      string        `json:"error,omitempty"`
	// StagedBefore lists the platforms an earlier run had staged, which
	// this run kept by digest instead of rebuilding.
	StagedBefore []string `json:"staged_before,omitempty"`
	// Unchanged lists the tags that already pointed at Digest, which this
	// run therefore did not write (a rerun finishing what was missing).
	Unchanged []string `json:"unchanged_tags,omitempty"`
	// Evidence says what signed evidence the index has, e.g. "4 statements
	// signed now, all it needs signed and checked"; empty when unsigned.
	Evidence string `json:"evidence,omitempty"`
}

// resultJSON is ImageResult as JSON has it: Duration as seconds, and lists
// never null.
type resultJSON struct {
	imageResult
	DurationSeconds float64 `json:"duration_seconds"`
}

// imageResult has ImageResult's fields without its methods.
type imageResult ImageResult

// MarshalJSON writes the duration as duration_seconds and absent lists as [].
func (r ImageResult) MarshalJSON() ([]byte, error) {
	for _, s := range []*[]string{&r.Platforms, &r.Tags, &r.References} {
		if *s == nil {
			*s = []string{}
		}
	}
	return json.Marshal(resultJSON{imageResult(r), r.Duration.Seconds()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *ImageResult) UnmarshalJSON(data []byte) error {
	var j resultJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*r = ImageResult(j.imageResult)
	r.Duration = time.Duration(j.DurationSeconds * float64(time.Second)).Round(time.Millisecond)
	return nil
}

// LeftOut is an image the source tree does not publish, so no run builds it.
type LeftOut struct {
	Image  string `json:"image"`
	Reason string `json:"reason"`
}

// Report is the outcome of one run, one result per image.
type Report struct {
	Title   string        `json:"title"`
	Results []ImageResult `json:"results"`
	// LeftOut lists the images the source tree leaves out, and why.
	LeftOut []LeftOut `json:"left_out"`
}

// JSON returns the report as indented JSON, absent lists as [].
func (r Report) JSON() ([]byte, error) {
	if r.Results == nil {
		r.Results = []ImageResult{}
	}
	if r.LeftOut == nil {
		r.LeftOut = []LeftOut{}
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding report: %w", err)
	}
	return b, nil
}

// Failed returns the results whose status is StatusFailed.
func (r Report) Failed() []ImageResult {
	var out []ImageResult
	for _, res := range r.Results {
		if res.Status == StatusFailed {
			out = append(out, res)
		}
	}
	return out
}

// Err returns nil when no image failed, and otherwise one error that names
// every failed image and its error.
func (r Report) Err() error {
	failed := r.Failed()
	if len(failed) == 0 {
		return nil
	}
	parts := make([]string, len(failed))
	for i, f := range failed {
		parts[i] = fmt.Sprintf("%s (%s)", f.Image, errorText(f))
	}
	noun := "images"
	if len(r.Results) == 1 {
		noun = "image"
	}
	return fmt.Errorf("%d of %d %s failed: %s", len(failed), len(r.Results), noun, strings.Join(parts, "; "))
}

// errorText returns a failure's error on one line.
func errorText(r ImageResult) string {
	if strings.TrimSpace(r.Error) == "" {
		return "no error recorded"
	}
	return strings.Join(strings.Fields(r.Error), " ")
}

// Markdown returns the report as GitHub-flavoured Markdown: a table of every
// image, the images the source tree leaves out, then the error of each
// failed image.
func (r Report) Markdown() string {
	var b strings.Builder
	if r.Title != "" {
		fmt.Fprintf(&b, "## %s\n\n", oneLine(r.Title))
	}
	if len(r.Results) == 0 {
		b.WriteString("No images.\n")
		r.writeLeftOut(&b)
		return b.String()
	}
	b.WriteString("| Image | Status | Platforms | Digest | Tags | Size | Duration | Retries |\n")
	b.WriteString("|---|---|---|---|---|---:|---:|---:|\n")
	for _, res := range r.Results {
		digest := "-"
		if d := shortDigest(res.Digest); d != "" {
			digest = "`" + d + "`"
		}
		cells := []string{
			cell(res.Image),
			cell(string(res.Status)),
			cell(orDash(strings.Join(res.Platforms, ", "))),
			digest,
			cell(orDash(strings.Join(res.Tags, ", "))),
			humanSize(res.SizeBytes),
			humanDuration(res.Duration),
			fmt.Sprint(res.Retries),
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
	}
	r.writeLeftOut(&b)
	r.writeSection(&b, "Kept as staged by an earlier run (not rebuilt)", func(res ImageResult) string { return strings.Join(res.StagedBefore, ", ") })
	r.writeSection(&b, "Tags already in place (not written)", func(res ImageResult) string { return strings.Join(res.Unchanged, ", ") })
	r.writeSection(&b, "Signed evidence", func(res ImageResult) string { return res.Evidence })
	if failed := r.Failed(); len(failed) > 0 {
		b.WriteString("\n### Failures\n\n")
		for _, f := range failed {
			fmt.Fprintf(&b, "- **%s**: %s\n", oneLine(f.Image), errorText(f))
		}
	}
	return b.String()
}

// writeSection writes a section that says of each image what line returns
// for it, leaving out the images it returns nothing for; no section when
// that is every image.
func (r Report) writeSection(b *strings.Builder, title string, line func(ImageResult) string) {
	var items []string
	for _, res := range r.Results {
		if l := line(res); l != "" {
			items = append(items, fmt.Sprintf("- **%s**: %s\n", oneLine(res.Image), oneLine(l)))
		}
	}
	if len(items) > 0 {
		b.WriteString("\n### " + title + "\n\n" + strings.Join(items, ""))
	}
}

// writeLeftOut writes the section that names the images left out, if any.
func (r Report) writeLeftOut(b *strings.Builder) {
	if len(r.LeftOut) == 0 {
		return
	}
	b.WriteString("\n### Left out\n\n")
	for _, l := range r.LeftOut {
		fmt.Fprintf(b, "- **%s**: %s\n", oneLine(l.Image), oneLine(l.Reason))
	}
}

// cell makes s safe in a table cell: one line, with | escaped.
func cell(s string) string {
	return strings.ReplaceAll(oneLine(s), "|", `\|`)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shortDigest returns the first 12 hex digits of a digest such as
// sha256:abc..., or "" if there is none.
func shortDigest(d string) string {
	if i := strings.LastIndex(d, ":"); i >= 0 {
		d = d[i+1:]
	}
	if len(d) > 12 {
		d = d[:12]
	}
	return cell(d)
}

// humanSize formats n bytes in binary units: 512 B, 12.3 MiB.
func humanSize(n int64) string {
	if n <= 0 {
		return "-"
	}
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, exp := float64(n)/unit, 0
	for v >= unit && exp < 4 {
		v /= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[exp])
}

// humanDuration formats d to the precision a person reads: 850ms, 3.2s, 1m2s.
func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
