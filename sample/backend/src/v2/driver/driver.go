// Package driver is the sample KFP v2 driver: before a DAG or a container
// task runs, it resolves the task's input parameters from defaults, the run's
// runtime config and the task spec, checks their types, and derives an
// execution ID.
package driver

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"
)

// Driver types, as passed with --type.
const (
	RootDAG   = "ROOT_DAG"
	DAG       = "DAG"
	Container = "CONTAINER"
)

// ParameterSpec is one entry of a component's inputDefinitions.parameters.
type ParameterSpec struct {
	ParameterType string `json:"parameterType"`
	DefaultValue  any    `json:"defaultValue,omitempty"`
	IsOptional    bool   `json:"isOptional,omitempty"`
}

// ComponentSpec is the part of a component spec the driver reads.
type ComponentSpec struct {
	InputDefinitions struct {
		Parameters map[string]ParameterSpec `json:"parameters"`
	} `json:"inputDefinitions"`
}

// TaskSpec carries constant inputs given to a task.
type TaskSpec struct {
	Inputs struct {
		Parameters map[string]struct {
			RuntimeValue struct {
				Constant any `json:"constant"`
			} `json:"runtimeValue"`
		} `json:"parameters"`
	} `json:"inputs"`
}

// Options are the driver's flags.
type Options struct {
	Type          string
	PipelineName  string
	RunID         string
	Component     ComponentSpec
	Task          TaskSpec
	RuntimeConfig map[string]any // parameterValues of the run (ROOT_DAG only)
}

// Execution is the driver's result.
type Execution struct {
	ID     string         `json:"id"`
	Inputs map[string]any `json:"inputs"`
}

// Drive resolves the inputs of one task.
func Drive(o Options) (*Execution, error) {
	switch o.Type {
	case RootDAG, DAG, Container:
	default:
		return nil, fmt.Errorf("unknown driver type %q", o.Type)
	}
	if o.PipelineName == "" || o.RunID == "" {
		return nil, fmt.Errorf("pipeline_name and run_id are required")
	}
	given := map[string]any{}
	if o.Type == RootDAG {
		for k, v := range o.RuntimeConfig {
			given[k] = v
		}
	} else {
		for k, p := range o.Task.Inputs.Parameters {
			given[k] = p.RuntimeValue.Constant
		}
	}
	inputs := map[string]any{}
	names := make([]string, 0, len(o.Component.InputDefinitions.Parameters))
	for name := range o.Component.InputDefinitions.Parameters {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		spec := o.Component.InputDefinitions.Parameters[name]
		v, ok := given[name]
		if !ok || v == nil {
			v, ok = spec.DefaultValue, spec.DefaultValue != nil
		}
		if !ok {
			if spec.IsOptional {
				continue
			}
			return nil, fmt.Errorf("input parameter %q: no value and no default", name)
		}
		if err := checkType(spec.ParameterType, v); err != nil {
			return nil, fmt.Errorf("input parameter %q: %w", name, err)
		}
		inputs[name] = v
	}
	for name := range given {
		if _, ok := o.Component.InputDefinitions.Parameters[name]; !ok {
			return nil, fmt.Errorf("input parameter %q is not declared by the component", name)
		}
	}
	canon, _ := json.Marshal(inputs)
	sum := sha256.Sum256([]byte(o.PipelineName + "\x00" + o.RunID + "\x00" + o.Type + "\x00" + string(canon)))
	return &Execution{ID: fmt.Sprintf("%x", sum[:8]), Inputs: inputs}, nil
}

func checkType(t string, v any) error {
	ok := false
	switch t {
	case "STRING":
		_, ok = v.(string)
	case "BOOLEAN":
		_, ok = v.(bool)
	case "NUMBER_DOUBLE":
		_, ok = v.(float64)
	case "NUMBER_INTEGER":
		f, isNum := v.(float64)
		ok = isNum && f == float64(int64(f))
	case "STRUCT", "LIST":
		return nil
	default:
		return fmt.Errorf("unknown parameter type %q", t)
	}
	if !ok {
		return fmt.Errorf("value %v is not a %s", v, t)
	}
	return nil
}
