package report

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func sample() Report {
	return Report{
		Title: "KFP images at 0123456",
		Results: []ImageResult{
			{
				Image: "kfp-api-server", Platforms: []string{"linux/amd64", "linux/arm64"},
				Digest: digest, Tags: []string{"master", "0123456789abcdef0123456789abcdef01234567"},
				References: []string{"ghcr.io/kubeflow/kfp-api-server:master"},
				SizeBytes:  12_897_485, Duration: 62*time.Second + 400*time.Millisecond, Retries: 1,
				Status: StatusPublished, StagedBefore: []string{"linux/arm64"},
				Evidence:  "5 statements signed now, all it needs signed and checked",
				Unchanged: []string{"0123456789abcdef0123456789abcdef01234567"},
			},
			{
				Image: "kfp-driver", Platforms: []string{"linux/arm64"},
				Duration: 3240 * time.Millisecond, Status: StatusFailed,
				Error: "linux/arm64: go build: exit status 1\n  | undefined: foo",
			},
			{Image: "kfp-frontend", Status: StatusSkipped},
			{Image: "kfp-metadata-writer", Platforms: []string{"linux/amd64"}, SizeBytes: 800, Duration: 850 * time.Millisecond, Status: StatusBuilt},
			{Image: "kfp-launcher", Status: StatusFailed},
		},
		LeftOut: []LeftOut{{Image: "kfp-metadata-envoy", Reason: "not in .github/workflows/image-builds-master.yml"}},
	}
}

func TestMarkdown(t *testing.T) {
	const want = "## KFP images at 0123456\n" +
		"\n" +
		"| Image | Status | Platforms | Digest | Tags | Size | Duration | Retries |\n" +
		"|---|---|---|---|---|---:|---:|---:|\n" +
		"| kfp-api-server | published | linux/amd64, linux/arm64 | `0123456789ab` | master, 0123456789abcdef0123456789abcdef01234567 | 12.3 MiB | 1m2s | 1 |\n" +
		"| kfp-driver | failed | linux/arm64 | - | - | - | 3.2s | 0 |\n" +
		"| kfp-frontend | skipped | - | - | - | - | - | 0 |\n" +
		"| kfp-metadata-writer | built | linux/amd64 | - | - | 800 B | 850ms | 0 |\n" +
		"| kfp-launcher | failed | - | - | - | - | - | 0 |\n" +
		"\n" +
		"### Left out\n" +
		"\n" +
		"- **kfp-metadata-envoy**: not in .github/workflows/image-builds-master.yml\n" +
		"\n" +
		"### Kept as staged by an earlier run (not rebuilt)\n" +
		"\n" +
		"- **kfp-api-server**: linux/arm64\n" +
		"\n" +
		"### Tags already in place (not written)\n" +
		"\n" +
		"- **kfp-api-server**: 0123456789abcdef0123456789abcdef01234567\n" +
		"\n" +
		"### Signed evidence\n" +
		"\n" +
		"- **kfp-api-server**: 5 statements signed now, all it needs signed and checked\n" +
		"\n" +
		"### Failures\n" +
		"\n" +
		"- **kfp-driver**: linux/arm64: go build: exit status 1 | undefined: foo\n" +
		"- **kfp-launcher**: no error recorded\n"
	if got := sample().Markdown(); got != want {
		t.Errorf("Markdown() =\n%s\nwant\n%s", got, want)
	}
}

func TestMarkdownEscapesCells(t *testing.T) {
	r := Report{Results: []ImageResult{{Image: "a|b\nc", Tags: []string{"x|y"}, Status: StatusBuilt}}}
	const want = "| Image | Status | Platforms | Digest | Tags | Size | Duration | Retries |\n" +
		"|---|---|---|---|---|---:|---:|---:|\n" +
		"| a\\|b c | built | - | - | x\\|y | - | - | 0 |\n"
	if got := r.Markdown(); got != want {
		t.Errorf("Markdown() =\n%s\nwant\n%s", got, want)
	}
	if got, want := (Report{Title: "Empty"}).Markdown(), "## Empty\n\nNo images.\n"; got != want {
		t.Errorf("Markdown() of an empty report = %q, want %q", got, want)
	}
	left := Report{LeftOut: []LeftOut{{Image: "kfp-a|b", Reason: "gone\nfor good"}}}
	if got, want := left.Markdown(), "No images.\n\n### Left out\n\n- **kfp-a|b**: gone for good\n"; got != want {
		t.Errorf("Markdown() of a report with only left-out images = %q, want %q", got, want)
	}
}

func TestHumanSize(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "-"},
		{1, "1 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{12_897_485, "12.3 MiB"},
		{3 << 30, "3.0 GiB"},
		{5 << 40, "5.0 TiB"},
	}
	for _, tt := range tests {
		if got := humanSize(tt.n); got != tt.want {
			t.Errorf("humanSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestErr(t *testing.T) {
	if err := (Report{Results: []ImageResult{{Image: "a", Status: StatusPublished}}}).Err(); err != nil {
		t.Errorf("Err() with no failure = %v, want nil", err)
	}
	if err := (Report{}).Err(); err != nil {
		t.Errorf("Err() of an empty report = %v, want nil", err)
	}
	const want = "2 of 5 images failed: kfp-driver (linux/arm64: go build: exit status 1 | undefined: foo); kfp-launcher (no error recorded)"
	if err := sample().Err(); err == nil || err.Error() != want {
		t.Errorf("Err() = %v, want %q", err, want)
	}
	one := Report{Results: []ImageResult{{Image: "kfp-a", Status: StatusFailed, Error: "boom"}}}
	if err := one.Err(); err == nil || err.Error() != "1 of 1 image failed: kfp-a (boom)" {
		t.Errorf("Err() = %v, want %q", err, "1 of 1 image failed: kfp-a (boom)")
	}
}

func TestFailed(t *testing.T) {
	var got []string
	for _, f := range sample().Failed() {
		got = append(got, f.Image)
	}
	if want := []string{"kfp-driver", "kfp-launcher"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Failed() = %q, want %q", got, want)
	}
}

func TestJSON(t *testing.T) {
	r := Report{Title: "t", Results: []ImageResult{
		{Image: "kfp-a", Platforms: []string{"linux/amd64"}, Digest: digest, SizeBytes: 42, Duration: 1500 * time.Millisecond, Retries: 2, Status: StatusPublished},
		{Image: "kfp-b", Status: StatusFailed, Error: "boom"},
	}, LeftOut: []LeftOut{{Image: "kfp-c", Reason: "not in .github/workflows/image-builds-master.yml"}}}
	const want = `{
  "title": "t",
  "results": [
    {
      "image": "kfp-a",
      "platforms": [
        "linux/amd64"
      ],
      "digest": "` + digest + `",
      "tags": [],
      "references": [],
      "size_bytes": 42,
      "retries": 2,
      "status": "published",
      "duration_seconds": 1.5
    },
    {
      "image": "kfp-b",
      "platforms": [],
      "digest": "",
      "tags": [],
      "references": [],
      "size_bytes": 0,
      "retries": 0,
      "status": "failed",
      "error": "boom",
      "duration_seconds": 0
    }
  ],
  "left_out": [
    {
      "image": "kfp-c",
      "reason": "not in .github/workflows/image-builds-master.yml"
    }
  ]
}`
	got, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("JSON() =\n%s\nwant\n%s", got, want)
	}
	if got, _ := (Report{}).JSON(); string(got) != "{\n  \"title\": \"\",\n  \"results\": [],\n  \"left_out\": []\n}" {
		t.Errorf("JSON() of an empty report = %s", got)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	in := sample()
	b, err := in.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var out Report
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	// Absent lists come back empty rather than nil.
	for i := range in.Results {
		for _, s := range []*[]string{&in.Results[i].Platforms, &in.Results[i].Tags, &in.Results[i].References} {
			if *s == nil {
				*s = []string{}
			}
		}
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("JSON round trip changed the report:\n got %+v\nwant %+v", out, in)
	}
}
