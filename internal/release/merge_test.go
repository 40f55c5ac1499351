package release

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

var wantBoth = map[string][]string{
	"kfp-driver":          {"linux/amd64", "linux/arm64"},
	"kfp-metadata-writer": {"linux/amd64"},
}

// run is a stage record of image with the given platforms, each digest
// made of the platform's first letter after the slash.
func run(t *testing.T, image, commit, version string, platforms ...string) Record {
	t.Helper()
	r := Record{Image: image, Repository: "ghcr.io/kubeflow/" + image, Version: version, Commit: commit, Source: source, StagedAt: stagedAt}
	for _, p := range platforms {
		c := byte('a')
		if strings.HasSuffix(p, "arm64") {
			c = 'b'
		}
		r.Platforms = append(r.Platforms, PlatformManifest{Platform: p, Digest: hash(t, c)})
	}
	return r
}

func TestMergeTwoSingleArchRuns(t *testing.T) {
	amd := []Record{run(t, "kfp-driver", commitA, "2.5.0", "linux/amd64"), run(t, "kfp-metadata-writer", commitA, "2.5.0", "linux/amd64")}
	arm := run(t, "kfp-driver", commitA, "2.5.0", "linux/arm64")
	arm.StagedAt = stagedAt.Add(time.Hour)
	arm.Platforms[0].Smoke = &Smoke{Passed: true, Output: "kfp-driver arch=arm64"} // smoked by its stage
	arm.Labels = map[string]string{"a": "1"}
	amd[0].Index = hash(t, 'e') // a one-run index cannot hold the other run's platform
	got, err := Merge([]Record{arm, amd[0], amd[1]}, wantBoth)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Image != "kfp-driver" || got[1].Image != "kfp-metadata-writer" {
		t.Fatalf("Merge = %+v, want kfp-driver then kfp-metadata-writer", got)
	}
	d := got[0]
	want := []PlatformManifest{{Platform: "linux/amd64", Digest: hash(t, 'a')},
		{Platform: "linux/arm64", Digest: hash(t, 'b'), Smoke: &Smoke{Passed: true, Output: "kfp-driver arch=arm64"}}}
	if !reflect.DeepEqual(d.Platforms, want) {
		t.Errorf("platforms = %v, want %v", d.Platforms, want)
	}
	if d.Commit != commitA || d.Version != "2.5.0" || d.Repository != "ghcr.io/kubeflow/kfp-driver" || d.Source != source {
		t.Errorf("merged record = %+v", d)
	}
	if !d.StagedAt.Equal(arm.StagedAt) {
		t.Errorf("StagedAt = %s, want the latest, %s", d.StagedAt, arm.StagedAt)
	}
	if d.Labels["a"] != "1" {
		t.Errorf("labels = %v, want a=1", d.Labels)
	}
	if hasDigest(d.Index) {
		t.Errorf("merged index = %s, want none: one run's index cannot be the merged one", d.Index)
	}
	if got[1].Index != (v1.Hash{}) || len(got[1].Platforms) != 1 {
		t.Errorf("metadata-writer = %+v", got[1])
	}
}

func TestMergeRejects(t *testing.T) {
	type check func(t *testing.T, err error)
	is := func(target any, fn func() bool) check {
		return func(t *testing.T, err error) {
			t.Helper()
			if !errors.As(err, target) {
				t.Fatalf("error %v is not a %T", err, target)
			}
			if !fn() {
				t.Errorf("error fields wrong: %+v", target)
			}
		}
	}
	var (
		mm  *MismatchError
		mp  *MissingPlatformError
		dp  *DuplicatePlatformError
		ui  *UnwantedImageError
		upl *UnknownPlatformError
	)
	writer := run(t, "kfp-metadata-writer", commitA, "2.5.0", "linux/amd64")
	tests := []struct {
		name    string
		records []Record
		check   check
		words   []string // the message names image and values
	}{
		{
			name: "other commit",
			records: []Record{run(t, "kfp-driver", commitA, "2.5.0", "linux/amd64"), run(t, "kfp-driver", commitB, "2.5.0", "linux/arm64"),
				writer},
			check: is(&mm, func() bool {
				return mm.Image == "kfp-driver" && mm.Field == "commit" && mm.Got == commitB && mm.Want == commitA && mm.Record == 1
			}),
			words: []string{"kfp-driver", "record #1", "linux/arm64", commitA, commitB},
		},
		{
			name: "other version",
			records: []Record{run(t, "kfp-driver", commitA, "2.5.0", "linux/amd64"), run(t, "kfp-driver", commitA, "2.5.1", "linux/arm64"),
				writer},
			check: is(&mm, func() bool {
				return mm.Field == "version" && mm.Got == "2.5.1" && mm.Want == "2.5.0"
			}),
			words: []string{"kfp-driver", "version", "2.5.1", "2.5.0"},
		},
		{
			name:    "missing platform",
			records: []Record{run(t, "kfp-driver", commitA, "2.5.0", "linux/amd64"), writer},
			check: is(&mp, func() bool {
				return mp.Image == "kfp-driver" && slices.Equal(mp.Missing, []string{"linux/arm64"}) && slices.Equal(mp.Staged, []string{"linux/amd64"})
			}),
			words: []string{"kfp-driver", "linux/arm64 not staged", "staged: linux/amd64"},
		},
		{
			name:    "image with no record",
			records: []Record{run(t, "kfp-driver", commitA, "2.5.0", "linux/amd64", "linux/arm64")},
			check: is(&mp, func() bool {
				return mp.Image == "kfp-metadata-writer" && len(mp.Staged) == 0
			}),
			words: []string{"kfp-metadata-writer", "linux/amd64 not staged", "staged: nothing"},
		},
		{
			name: "duplicate platform, same digest",
			records: []Record{run(t, "kfp-driver", commitA, "2.5.0", "linux/amd64", "linux/arm64"), run(t, "kfp-driver", commitA, "2.5.0", "linux/arm64"),
				writer},
			check: is(&dp, func() bool {
				return dp.Image == "kfp-driver" && dp.Platform == "linux/arm64" && slices.Equal(dp.Records, []int{0, 1}) && dp.Digests[0] == dp.Digests[1]
			}),
			words: []string{"kfp-driver", "linux/arm64", "record #0", "record #1", "the same digest"},
		},
		{
			name: "duplicate platform, other digest",
			records: func() []Record {
				r := run(t, "kfp-driver", commitA, "2.5.0", "linux/arm64")
				r.Platforms[0].Digest = hash(t, 'f')
				return []Record{run(t, "kfp-driver", commitA, "2.5.0", "linux/amd64", "linux/arm64"), r, writer}
			}(),
			check: is(&dp, func() bool { return dp.Digests[0] != dp.Digests[1] }),
			words: []string{"different digests", hash(t, 'b').String(), hash(t, 'f').String()},
		},
		{
			name:    "image not wanted",
			records: []Record{run(t, "kfp-driver", commitA, "2.5.0", "linux/amd64", "linux/arm64"), writer, run(t, "kfp-frontend", commitA, "2.5.0", "linux/amd64")},
			check:   is(&ui, func() bool { return ui.Image == "kfp-frontend" && ui.Record == 2 }),
			words:   []string{"kfp-frontend", "does not publish"},
		},
		{
			name:    "unknown platform",
			records: []Record{run(t, "kfp-driver", commitA, "2.5.0", "linux/amd64", "linux/arm64"), run(t, "kfp-metadata-writer", commitA, "2.5.0", "linux/amd64", "linux/arm64")},
			check: is(&upl, func() bool {
				return upl.Image == "kfp-metadata-writer" && upl.Platform == "linux/arm64" && slices.Equal(upl.Want, []string{"linux/amd64"})
			}),
			words: []string{"kfp-metadata-writer", "linux/arm64", "does not ship", "ships linux/amd64"},
		},
		{
			name: "other repository",
			records: func() []Record {
				r := run(t, "kfp-driver", commitA, "2.5.0", "linux/arm64")
				r.Repository = "quay.io/kubeflow/kfp-driver"
				return []Record{run(t, "kfp-driver", commitA, "2.5.0", "linux/amd64"), r, writer}
			}(),
			check: is(&mm, func() bool { return mm.Field == "repository" && mm.Got == "quay.io/kubeflow/kfp-driver" }),
			words: []string{"repository", "quay.io/kubeflow/kfp-driver", "ghcr.io/kubeflow/kfp-driver"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Merge(tt.records, wantBoth)
			if err == nil {
				t.Fatalf("Merge = %+v, want an error", got)
			}
			if got != nil {
				t.Errorf("Merge returned records with an error: %+v", got)
			}
			var me *MergeError
			if !errors.As(err, &me) || len(me.Problems) != 1 {
				t.Errorf("error %v: want a MergeError with one problem", err)
			}
			tt.check(t, err)
			for _, w := range tt.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			oneLineMessage(t, err)
		})
	}
}

func TestMergeListsEveryProblem(t *testing.T) {
	records := []Record{
		run(t, "kfp-driver", commitA, "2.5.0", "linux/amd64"),
		run(t, "kfp-driver", commitA, "2.5.0", "linux/amd64"),
		run(t, "kfp-metadata-writer", commitB, "2.5.0", "linux/amd64"),
		run(t, "kfp-metadata-writer", commitA, "2.5.0", "linux/arm64"),
		run(t, "kfp-frontend", commitA, "2.5.0", "linux/amd64"),
	}
	_, err := Merge(records, wantBoth)
	var me *MergeError
	if !errors.As(err, &me) {
		t.Fatalf("Merge error = %v, want a MergeError", err)
	}
	// driver: arm64 missing, amd64 twice; writer: other commit, unknown
	// arm64; frontend: not wanted
	if len(me.Problems) != 5 {
		t.Errorf("%d problems, want 5: %v", len(me.Problems), err)
	}
	var dp *DuplicatePlatformError
	var mp *MissingPlatformError
	var upl *UnknownPlatformError
	var ui *UnwantedImageError
	var mm *MismatchError
	if !errors.As(err, &dp) || !errors.As(err, &mp) || !errors.As(err, &upl) || !errors.As(err, &ui) || !errors.As(err, &mm) {
		t.Errorf("not every kind of problem is reachable with errors.As: %v", err)
	}
	if !strings.HasPrefix(err.Error(), "merge stage records: 5 problems: kfp-driver") {
		t.Errorf("error %q: want problems sorted by image", err)
	}
}

func TestMergeArm64Variant(t *testing.T) {
	recs := []Record{run(t, "kfp-driver", commitA, "2.5.0", "linux/amd64"), run(t, "kfp-driver", commitA, "2.5.0", "linux/arm64/v8")}
	got, err := Merge(recs, map[string][]string{"kfp-driver": {"linux/amd64", "linux/arm64"}})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Platforms[1].Platform != "linux/arm64" {
		t.Errorf("platforms = %v, want the catalog's name linux/arm64", got[0].Platforms)
	}
}
