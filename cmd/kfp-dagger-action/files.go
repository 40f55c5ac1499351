package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Sink is where a run's outputs and report go: GitHub's GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY files, or a dotenv file and a Markdown file on other
// CIs. Every write returns its error; none panics.
type Sink interface {
	// Output sets one named output.
	Output(name, value string) error
	// Summary appends Markdown to the run's summary.
	Summary(markdown string) error
}

// outputNameRE is what an output name may be: it cannot end a heredoc line
// or start another output.
var outputNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// githubFiles writes outputs and the step summary to the files GitHub
// names in GITHUB_OUTPUT and GITHUB_STEP_SUMMARY. An empty path (a run
// outside a workflow) discards the write.
type githubFiles struct {
	output, summary string
}

// Output appends name<<DELIM value DELIM to GITHUB_OUTPUT with a delimiter
// drawn at random for this write, as actions/toolkit does, so no value can
// end the heredoc early and forge another output.
func (g githubFiles) Output(name, value string) error {
	if g.output == "" {
		return nil
	}
	if !outputNameRE.MatchString(name) {
		return fmt.Errorf("output name %q: want letters, digits, - and _", name)
	}
	var r [16]byte
	if _, err := rand.Read(r[:]); err != nil {
		return fmt.Errorf("output %s: %w", name, err)
	}
	delim := "ghadelimiter_" + hex.EncodeToString(r[:])
	if strings.Contains(value, delim) {
		return fmt.Errorf("output %s: the value holds the delimiter", name) // 2^-128
	}
	if err := appendFile(g.output, name+"<<"+delim+"\n"+value+"\n"+delim+"\n"); err != nil {
		return fmt.Errorf("write output %s to GITHUB_OUTPUT: %w", name, err)
	}
	return nil
}

// Summary appends to GITHUB_STEP_SUMMARY.
func (g githubFiles) Summary(markdown string) error {
	if g.summary == "" {
		return nil
	}
	if err := appendFile(g.summary, strings.TrimRight(markdown, "\n")+"\n"); err != nil {
		return fmt.Errorf("write the step summary to GITHUB_STEP_SUMMARY: %w", err)
	}
	return nil
}

// dotenvFiles is the Sink of GitLab and other CIs: outputs as KEY=value
// lines (GitLab's artifacts:reports:dotenv reads them into later jobs'
// variables) in KFP_OUTPUT_FILE, the report appended to KFP_SUMMARY_FILE.
// Empty paths discard. Multi-line values (the report) are not outputs there:
// dotenv cannot hold them.
type dotenvFiles struct {
	output, summary string
}

// Output appends KFP_NAME=value, name upper-cased with - as _.
func (d dotenvFiles) Output(name, value string) error {
	if d.output == "" || strings.ContainsAny(value, "\r\n") {
		return nil
	}
	if !outputNameRE.MatchString(name) {
		return fmt.Errorf("output name %q: want letters, digits, - and _", name)
	}
	key := "KFP_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	if err := appendFile(d.output, key+"="+value+"\n"); err != nil {
		return fmt.Errorf("write output %s to KFP_OUTPUT_FILE: %w", key, err)
	}
	return nil
}

// Summary appends to KFP_SUMMARY_FILE.
func (d dotenvFiles) Summary(markdown string) error {
	if d.summary == "" {
		return nil
	}
	if err := appendFile(d.summary, strings.TrimRight(markdown, "\n")+"\n"); err != nil {
		return fmt.Errorf("write the summary to KFP_SUMMARY_FILE: %w", err)
	}
	return nil
}

// appendFile appends text to the file at p, which must exist or be
// creatable, and reports a short write or a failed close.
func appendFile(p, text string) error {
	f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	return errors.Join(err, f.Close())
}
