// Package reconciler turns Viewer resources into the Deployments that serve
// them (KFP's viewer controller starts a TensorBoard per Viewer).
package reconciler

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Viewer is the spec of a Viewer custom resource.
type Viewer struct {
	Name              string `json:"name"`
	Namespace         string `json:"namespace"`
	Type              string `json:"type"`
	LogDir            string `json:"logDir"`
	TensorflowVersion string `json:"tensorflowVersion"`
	CreatedAt         int64  `json:"createdAt"`
}

// Deployment is the desired Deployment for one Viewer.
type Deployment struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels"`
	Image     string            `json:"image"`
	Args      []string          `json:"args"`
	Port      int               `json:"port"`
}

// DesiredDeployment validates v and returns the Deployment serving it.
func DesiredDeployment(v Viewer) (Deployment, error) {
	if v.Name == "" || v.Namespace == "" {
		return Deployment{}, fmt.Errorf("viewer needs a name and a namespace")
	}
	if v.Type != "tensorboard" {
		return Deployment{}, fmt.Errorf("viewer %s/%s: unsupported type %q", v.Namespace, v.Name, v.Type)
	}
	if !strings.Contains(v.LogDir, "://") && !strings.HasPrefix(v.LogDir, "/") {
		return Deployment{}, fmt.Errorf("viewer %s/%s: logDir %q is neither a URL nor an absolute path", v.Namespace, v.Name, v.LogDir)
	}
	tf := v.TensorflowVersion
	if tf == "" {
		tf = "2.15.0"
	}
	sum := sha256.Sum256([]byte(v.Namespace + "/" + v.Name))
	return Deployment{
		Name:      fmt.Sprintf("viewer-%x-deployment", sum[:6]),
		Namespace: v.Namespace,
		Labels:    map[string]string{"app": "viewer", "viewer": v.Name},
		Image:     "tensorflow/tensorflow:" + tf,
		Args:      []string{"tensorboard", "--logdir=" + v.LogDir, "--path_prefix=/tensorboard/" + v.Name + "/", "--bind_all"},
		Port:      6006,
	}, nil
}

// Reconcile returns the Deployments for the newest maxViewers valid viewers
// (KFP garbage-collects the oldest viewers above --max_num_viewers) and the
// errors of the invalid ones.
func Reconcile(viewers []Viewer, maxViewers int) ([]Deployment, []error) {
	sorted := append([]Viewer(nil), viewers...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].CreatedAt > sorted[j].CreatedAt })
	var out []Deployment
	var errs []error
	for _, v := range sorted {
		d, err := DesiredDeployment(v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(out) < maxViewers {
			out = append(out, d)
		}
	}
	return out, errs
}

// ParseViewers decodes a JSON array of viewers.
func ParseViewers(data []byte) ([]Viewer, error) {
	var vs []Viewer
	if err := json.Unmarshal(data, &vs); err != nil {
		return nil, err
	}
	return vs, nil
}
