package reconciler

import (
	"strings"
	"testing"
)

func TestDesiredDeployment(t *testing.T) {
	d, err := DesiredDeployment(Viewer{Name: "tb", Namespace: "kubeflow", Type: "tensorboard", LogDir: "gs://bucket/logs"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.Name, "viewer-") || d.Image != "tensorflow/tensorflow:2.15.0" || d.Args[1] != "--logdir=gs://bucket/logs" {
		t.Fatalf("unexpected deployment %+v", d)
	}
	again, _ := DesiredDeployment(Viewer{Name: "tb", Namespace: "kubeflow", Type: "tensorboard", LogDir: "/logs"})
	if again.Name != d.Name {
		t.Fatal("the deployment name must depend only on namespace and name")
	}
}

func TestDesiredDeploymentRejectsInvalid(t *testing.T) {
	for _, v := range []Viewer{
		{Namespace: "kubeflow", Type: "tensorboard", LogDir: "/logs"},
		{Name: "x", Namespace: "kubeflow", Type: "jupyter", LogDir: "/logs"},
		{Name: "x", Namespace: "kubeflow", Type: "tensorboard", LogDir: "relative/logs"},
	} {
		if _, err := DesiredDeployment(v); err == nil {
			t.Errorf("DesiredDeployment(%+v) succeeded, want an error", v)
		}
	}
}

func TestReconcileKeepsNewestViewers(t *testing.T) {
	vs, err := ParseViewers([]byte(`[
		{"name":"old","namespace":"ns","type":"tensorboard","logDir":"/a","createdAt":1},
		{"name":"new","namespace":"ns","type":"tensorboard","logDir":"/b","createdAt":3},
		{"name":"bad","namespace":"ns","type":"nope","logDir":"/c","createdAt":2}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	ds, errs := Reconcile(vs, 1)
	if len(ds) != 1 || ds[0].Labels["viewer"] != "new" {
		t.Fatalf("got %+v", ds)
	}
	if len(errs) != 1 {
		t.Fatalf("want one error for the invalid viewer, got %v", errs)
	}
}
