package labels

import (
	"reflect"
	"testing"
	"time"
)

func TestFor(t *testing.T) {
	in := Inputs{
		Title:     "kfp-api-server",
		SourceURL: "https://github.com/kubeflow/pipelines",
		Commit:    "0123456789abcdef0123456789abcdef01234567",
		Version:   "2.17.0",
		Created:   time.Unix(1700000000, 0).In(time.FixedZone("x", 3600)),
		Licenses:  "Apache-2.0",
	}
	got, err := For(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []Label{
		{Created, "2023-11-14T22:13:20Z"},
		{Licenses, "Apache-2.0"},
		{Revision, in.Commit},
		{Source, in.SourceURL},
		{Title, "kfp-api-server"},
		{Version, "2.17.0"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("For() =\n%v\nwant\n%v", got, want)
	}

	in.Commit = ""
	got, _ = For(in)
	for _, l := range got {
		if l.Name == Revision {
			t.Fatalf("revision label present without a commit: %v", got)
		}
	}
	if _, err := For(Inputs{}); err == nil {
		t.Fatal("For(empty) succeeded, want an error")
	}
}
