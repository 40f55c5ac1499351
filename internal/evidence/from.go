package evidence

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// varRE is a Dockerfile variable: $NAME, ${NAME}, ${NAME:-default} or
// ${NAME:+alternative}.
var varRE = regexp.MustCompile(`\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\})`)

// BaseImages lists the images a Dockerfile's stages are built FROM, in
// order and once each, with build arguments (args over the defaults of the
// ARG lines before the first FROM) substituted. Stage names and scratch are
// not images. These are the references provenance resolves to digests.
func BaseImages(dockerfile []byte, args map[string]string) ([]string, error) {
	global := map[string]string{}
	var stages, out []string
	seenFrom := false
	for i, line := range logicalLines(dockerfile) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "ARG":
			if seenFrom {
				continue // a stage's ARG does not reach FROM lines
			}
			for _, a := range f[1:] {
				name, def, _ := strings.Cut(a, "=")
				global[name] = strings.Trim(def, `"'`)
			}
		case "FROM":
			seenFrom = true
			rest := f[1:]
			for len(rest) > 0 && strings.HasPrefix(rest[0], "--") {
				rest = rest[1:] // --platform=...
			}
			if len(rest) == 0 {
				return nil, fmt.Errorf("line %d of the Dockerfile: FROM without an image", i+1)
			}
			ref, err := expand(rest[0], func(name string) (string, bool) {
				if v, ok := args[name]; ok {
					return v, true
				}
				v, ok := global[name]
				return v, ok
			})
			if err != nil {
				return nil, fmt.Errorf("line %d of the Dockerfile: %w", i+1, err)
			}
			if ref != "scratch" && !slices.Contains(stages, strings.ToLower(ref)) && !slices.Contains(out, ref) {
				out = append(out, ref)
			}
			if len(rest) >= 3 && strings.EqualFold(rest[1], "AS") {
				stages = append(stages, strings.ToLower(rest[2]))
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the Dockerfile has no FROM")
	}
	return out, nil
}

// expand substitutes Dockerfile variables in s; an unset variable without a
// default is an error (the reference would be wrong).
func expand(s string, lookup func(string) (string, bool)) (string, error) {
	var missing []string
	out := varRE.ReplaceAllStringFunc(s, func(m string) string {
		g := varRE.FindStringSubmatch(m)
		name := g[1] + g[2]
		v, ok := lookup(name)
		switch g[3] {
		case "-":
			if !ok || v == "" {
				return g[4]
			}
		case "+":
			if ok && v != "" {
				return g[4]
			}
			return ""
		}
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("FROM %s: build argument %s is not set", s, strings.Join(missing, ", "))
	}
	return out, nil
}

// logicalLines joins continued lines and drops comments and blank lines.
func logicalLines(data []byte) []string {
	var out []string
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "#") && cur.Len() == 0 {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur.WriteString(strings.TrimSuffix(l, "\\") + " ")
			continue
		}
		cur.WriteString(l)
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
