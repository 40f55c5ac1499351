package oneline

import (
	"fmt"
	"regexp"
	"strings"
)

// queryDump matches the GraphQL query the SDK puts in front of an engine
// error; it says nothing to a user and can be thousands of characters long.
var queryDump = regexp.MustCompile(`(?s)query: query Query \{.*\}\s*error: `)

// Message returns an engine error message without the query that caused it,
// its whitespace folded onto one line.
func Message(s string) string {
	return strings.Join(strings.Fields(queryDump.ReplaceAllString(s, "")), " ")
}

// Exec describes a failed command by its exit code and the last lines of its
// stderr, or of its stdout when stderr is empty.
func Exec(cmd []string, code int, stdout, stderr string) string {
	out := lastLines(stderr, 3)
	if out == "" {
		out = lastLines(stdout, 3)
	}
	return fmt.Sprintf("%s exited with code %d: %s", strings.Join(cmd, " "), code, out)
}

func lastLines(s string, n int) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(strings.Fields(strings.Join(lines, " | ")), " ")
}
