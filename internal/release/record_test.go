package release

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func hash(t *testing.T, hex1 byte) v1.Hash {
	t.Helper()
	h, err := v1.NewHash("sha256:" + strings.Repeat(string(hex1), 64))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func sampleRecord(t *testing.T) Record {
	return Record{
		Image: "kfp-driver", Repository: "ghcr.io/kubeflow/kfp-driver",
		Version: "2.5.0", Commit: commitA, Source: source,
		Platforms: []PlatformManifest{{Platform: "linux/amd64", Digest: hash(t, 'a')}},
		Labels:    map[string]string{"org.opencontainers.image.title": "kfp-driver"},
		StagedAt:  stagedAt,
	}
}

func TestRecordJSONRoundTrip(t *testing.T) {
	for _, withIndex := range []bool{false, true} {
		rec := sampleRecord(t)
		if withIndex {
			rec.Index = hash(t, 'c')
			rec.Platforms[0].Smoke = &Smoke{Passed: true, Output: "kfp-driver arch=amd64"}
		}
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if !strings.Contains(s, `"schema_version":1`) {
			t.Errorf("JSON %s has no schema_version 1", s)
		}
		if strings.Contains(s, `"index"`) != withIndex {
			t.Errorf("JSON %s: index present = %t, want %t", s, !withIndex, withIndex)
		}
		var got Record
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.Image != rec.Image || got.Repository != rec.Repository || got.Version != rec.Version ||
			got.Commit != rec.Commit || got.Source != rec.Source || got.Index != rec.Index ||
			!got.StagedAt.Equal(rec.StagedAt) || !reflect.DeepEqual(got.Platforms, rec.Platforms) ||
			got.Labels["org.opencontainers.image.title"] != "kfp-driver" {
			t.Errorf("round trip = %+v, want %+v", got, rec)
		}
	}
}

func TestRecordJSONRejects(t *testing.T) {
	good, err := json.Marshal(sampleRecord(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, from, to, want string
	}{
		{"newer schema", `"schema_version":1`, `"schema_version":2`, "schema version 2 is not supported"},
		{"no schema", `"schema_version":1,`, ``, "schema version 0 is not supported"},
		{"bad digest", `"digest":"sha256:aaaa`, `"digest":"sha256:zzzz`, "invalid digest"},
		{"short commit", commitA, commitA[:12], "invalid commit"},
		{"v prefix", `"version":"2.5.0"`, `"version":"v2.5.0"`, "drop the leading v"},
		{"bad platform", `"platform":"linux/amd64"`, `"platform":"linux"`, `invalid platform "linux"`},
		{"repository of another image", `ghcr.io/kubeflow/kfp-driver`, `ghcr.io/kubeflow/kfp-launcher`, "not named after the image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := strings.Replace(string(good), tt.from, tt.to, 1)
			if bad == string(good) {
				t.Fatalf("%q not found in %s", tt.from, good)
			}
			var r Record
			err := json.Unmarshal([]byte(bad), &r)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Unmarshal = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestRecordValidateDuplicatePlatform(t *testing.T) {
	rec := sampleRecord(t)
	rec.Platforms = append(rec.Platforms, PlatformManifest{Platform: "linux/amd64", Digest: hash(t, 'a')})
	var dup *DuplicatePlatformError
	if err := rec.Validate(); !errors.As(err, &dup) || dup.Platform != "linux/amd64" {
		t.Fatalf("Validate = %v, want a DuplicatePlatformError for linux/amd64", err)
	}
	if msg := dup.Error(); !strings.Contains(msg, "the same digest") || !strings.Contains(msg, "entries of one record") {
		t.Errorf("message %q does not say it is one record with the same digest", msg)
	}
}

func TestRecordValidateMaster(t *testing.T) {
	rec := sampleRecord(t)
	rec.Version = Master
	if err := rec.Validate(); err != nil {
		t.Errorf("master record: %v", err)
	}
	rec.Version = "main"
	if err := rec.Validate(); err == nil {
		t.Error("version main accepted; want master or X.Y.Z")
	}
}
