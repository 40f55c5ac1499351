package release

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// kinds returns platform:kind of every failure.
func kinds(fs []Failure) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Platform + ":" + string(f.Kind)
	}
	return out
}

func TestVerify(t *testing.T) {
	reg := newTestRegistry(t, nil)
	ctx := context.Background()
	r := newTestRemote(t)

	type call struct {
		image, platform string
		digest          v1.Hash
	}
	var (
		mu    sync.Mutex
		calls []call
	)
	smoke := func(ctx context.Context, image, platform string, digest v1.Hash) error {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{image, platform, digest})
		return nil
	}
	good := reg.stageIndex(t, "kfp-driver", commitA, "2.5.0", both)

	t.Run("passes", func(t *testing.T) {
		calls = nil
		res, err := Verify(ctx, r, good, Expect{Platforms: both, Checks: []Check{smoke}})
		if err != nil || !res.OK() || res.Err() != nil {
			t.Fatalf("Verify = %+v, %v; want it to pass", res, err)
		}
		want := []call{{"kfp-driver", "linux/amd64", good.Platforms[0].Digest}, {"kfp-driver", "linux/arm64", good.Platforms[1].Digest}}
		if !slices.Equal(calls, want) {
			t.Errorf("checks ran with %v, want %v", calls, want)
		}
	})

	tests := []struct {
		name   string
		rec    Record
		expect Expect
		want   []string // platform:kind of every failure, in order
		words  []string
	}{
		{
			name:   "extra platform",
			rec:    good,
			expect: Expect{Platforms: []string{"linux/amd64"}},
			want:   []string{"linux/arm64:platforms"},
			words:  []string{"holds linux/arm64", "does not ship"},
		},
		{
			name:   "missing platform",
			rec:    reg.stageIndex(t, "kfp-launcher", commitA, "2.5.0", []string{"linux/amd64"}),
			expect: Expect{Platforms: both},
			want:   []string{"linux/arm64:platforms"},
			words:  []string{"linux/arm64: platforms: missing from the index"},
		},
		{
			name:   "wrong revision label",
			rec:    reg.stageIndex(t, "kfp-frontend", commitA, "2.5.0", both, stageOpts{labelCommit: commitB}),
			expect: Expect{Platforms: both},
			want:   []string{"linux/amd64:revision", "linux/arm64:revision"},
			words:  []string{"org.opencontainers.image.revision", commitB, commitA},
		},
		{
			name:   "wrong version label",
			rec:    reg.stageIndex(t, "kfp-cache-server", commitA, "2.5.0", both, stageOpts{labelVersion: "2.4.0"}),
			expect: Expect{Platforms: both},
			want:   []string{"linux/amd64:version", "linux/arm64:version"},
			words:  []string{`org.opencontainers.image.version is "2.4.0", want "2.5.0"`},
		},
		{
			name: "failing check",
			rec:  good,
			expect: Expect{Platforms: both, Checks: []Check{smoke, func(_ context.Context, _, platform string, _ v1.Hash) error {
				if platform == "linux/arm64" {
					return fmt.Errorf("smoke test: exec format error\n(exit code 1)")
				}
				return nil
			}}},
			want:  []string{"linux/arm64:check"},
			words: []string{"smoke test: exec format error (exit code 1)"},
		},
		{
			name: "digest other than staged",
			rec: func() Record {
				r := good
				r.Platforms = slices.Clone(good.Platforms)
				r.Platforms[1].Digest = hash(t, 'b')
				return r
			}(),
			expect: Expect{Platforms: both},
			want:   []string{"linux/arm64:digest"},
			words:  []string{"the record staged " + hash(t, 'b').String()},
		},
		{
			name: "every failure listed",
			rec:  reg.stageIndex(t, "kfp-api-server", commitA, "2.5.0", both, stageOpts{labelCommit: commitB, labelVersion: "9.9.9"}),
			expect: Expect{Platforms: []string{"linux/amd64", "linux/arm/v7"}, Checks: []Check{func(context.Context, string, string, v1.Hash) error {
				return errors.New("scan: 3 CRITICAL vulnerabilities")
			}}},
			want: []string{
				"linux/arm64:platforms",
				"linux/amd64:revision", "linux/amd64:version", "linux/amd64:check",
				"linux/arm/v7:platforms",
			},
			words: []string{"5 failures", "scan: 3 CRITICAL vulnerabilities", "linux/arm/v7: platforms: missing"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Verify(ctx, r, tt.rec, tt.expect)
			if err != nil {
				t.Fatalf("Verify error = %v, want failures in the result", err)
			}
			if got := kinds(res.Failures); !slices.Equal(got, tt.want) {
				t.Errorf("failures = %v, want %v\n%v", got, tt.want, res.Err())
			}
			verr := res.Err()
			var ve *VerifyError
			if !errors.As(verr, &ve) || ve.Image != tt.rec.Image || ve.Index != tt.rec.Index {
				t.Fatalf("Err() = %v, want a VerifyError for %s", verr, tt.rec.Image)
			}
			for _, w := range append(tt.words, tt.rec.Image, tt.rec.Index.String()) {
				if !strings.Contains(verr.Error(), w) {
					t.Errorf("error %q does not mention %q", verr, w)
				}
			}
			oneLineMessage(t, verr)
		})
	}

	t.Run("no index", func(t *testing.T) {
		rec := good
		rec.Index = v1.Hash{}
		if _, err := Verify(ctx, r, rec, Expect{Platforms: both}); err == nil || !strings.Contains(err.Error(), "no index digest") {
			t.Errorf("Verify = %v, want an error about the missing index", err)
		}
	})
	t.Run("no expected platforms", func(t *testing.T) {
		if _, err := Verify(ctx, r, good, Expect{}); err == nil {
			t.Error("Verify with no expected platforms passed")
		}
	})
}
