package driver

import (
	"encoding/json"
	"testing"
)

func component(t *testing.T, js string) ComponentSpec {
	t.Helper()
	var c ComponentSpec
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

const echo = `{"inputDefinitions":{"parameters":{
	"message":{"parameterType":"STRING","defaultValue":"hi"},
	"times":{"parameterType":"NUMBER_INTEGER"}}}}`

func TestRootDAGUsesRuntimeConfigThenDefaults(t *testing.T) {
	ex, err := Drive(Options{Type: RootDAG, PipelineName: "p", RunID: "r1",
		Component: component(t, echo), RuntimeConfig: map[string]any{"times": 2.0}})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Inputs["message"] != "hi" || ex.Inputs["times"] != 2.0 || len(ex.ID) != 16 {
		t.Fatalf("got %+v", ex)
	}
	again, _ := Drive(Options{Type: RootDAG, PipelineName: "p", RunID: "r1",
		Component: component(t, echo), RuntimeConfig: map[string]any{"times": 2.0}})
	if again.ID != ex.ID {
		t.Fatal("the execution ID must be deterministic")
	}
}

func TestContainerUsesTaskConstants(t *testing.T) {
	var task TaskSpec
	json.Unmarshal([]byte(`{"inputs":{"parameters":{"times":{"runtimeValue":{"constant":3}}}}}`), &task)
	ex, err := Drive(Options{Type: Container, PipelineName: "p", RunID: "r1", Component: component(t, echo), Task: task})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Inputs["times"] != 3.0 {
		t.Fatalf("got %+v", ex.Inputs)
	}
}

func TestDriveRejectsBadInput(t *testing.T) {
	c := component(t, echo)
	for name, o := range map[string]Options{
		"unknown type":     {Type: "EXIT_HANDLER", PipelineName: "p", RunID: "r", Component: c},
		"missing required": {Type: RootDAG, PipelineName: "p", RunID: "r", Component: c},
		"wrong type":       {Type: RootDAG, PipelineName: "p", RunID: "r", Component: c, RuntimeConfig: map[string]any{"times": 1.5}},
		"undeclared":       {Type: RootDAG, PipelineName: "p", RunID: "r", Component: c, RuntimeConfig: map[string]any{"times": 1.0, "extra": "x"}},
		"no run id":        {Type: RootDAG, PipelineName: "p", Component: c, RuntimeConfig: map[string]any{"times": 1.0}},
	} {
		if _, err := Drive(o); err == nil {
			t.Errorf("%s: Drive succeeded, want an error", name)
		}
	}
}
