package suites

import (
	"fmt"
	"strings"
)

// Runner is the test tool of a suite.
type Runner string

// The test tools KFP's CI uses.
const (
	GoTest Runner = "go test"
	NPM    Runner = "npm"
	Pytest Runner = "pytest"
)

// Suite is one component's tests.
type Suite struct {
	// Component is the name `test --component` takes.
	Component string
	// Dir is the folder, relative to a KFP checkout, the tests run in.
	Dir string
	// Runner is the tool that runs them.
	Runner Runner
	// Packages are the go test package patterns (GoTest only).
	Packages []string
}

var all = []Suite{
	{Component: "backend", Dir: "backend", Runner: GoTest, Packages: []string{"./backend/..."}},
	{Component: "frontend", Dir: "frontend", Runner: NPM},
	{Component: "visualization-server", Dir: "backend/src/apiserver/visualization", Runner: Pytest},
	{Component: "metadata-writer", Dir: "backend/metadata_writer", Runner: Pytest},
}

// All returns every suite.
func All() []Suite { return append([]Suite(nil), all...) }

// Names returns the component names, in order.
func Names() []string {
	var n []string
	for _, s := range all {
		n = append(n, s.Component)
	}
	return n
}

// Select returns the suite of one component, or all of them for "all".
func Select(component string) ([]Suite, error) {
	component = strings.TrimSpace(component)
	if component == "all" {
		return All(), nil
	}
	for _, s := range all {
		if s.Component == component {
			return []Suite{s}, nil
		}
	}
	return nil, fmt.Errorf("unknown component %q; valid components: %s, all", component, strings.Join(Names(), ", "))
}
