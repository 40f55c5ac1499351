package release

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kfp-dagger/kfp-dagger/internal/tags"
)

// release stages and assembles kfp-driver (both platforms) and
// kfp-metadata-writer (amd64) of commit and version, merged as Merge
// returns them.
func stageRelease(t *testing.T, reg testRegistry, commit, version string) []Record {
	t.Helper()
	return []Record{
		reg.stageIndex(t, "kfp-driver", commit, version, both),
		reg.stageIndex(t, "kfp-metadata-writer", commit, version, []string{"linux/amd64"}),
	}
}

func TestPlanOrder(t *testing.T) {
	reg := newTestRegistry(t, nil)
	recs := stageRelease(t, reg, commitA, "2.5.0")
	plan, err := Plan([]Record{recs[1], recs[0]}, true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range plan {
		got = append(got, fmt.Sprintf("%s:%s:%t", w.Image, w.Tag, w.Immutable))
	}
	want := []string{
		"kfp-driver:2.5.0:true", "kfp-driver:" + commitA + ":true",
		"kfp-metadata-writer:2.5.0:true", "kfp-metadata-writer:" + commitA + ":true",
		"kfp-driver:latest:false", "kfp-metadata-writer:latest:false",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Plan =\n%v\nwant\n%v", got, want)
	}
	for _, w := range plan {
		wantDigest := recs[0].Index
		if w.Image == "kfp-metadata-writer" {
			wantDigest = recs[1].Index
		}
		if w.Digest != wantDigest || w.Commit != commitA {
			t.Errorf("%s: digest %s commit %s, want %s %s", w, w.Digest, w.Commit, wantDigest, commitA)
		}
	}

	master := stageRelease(t, reg, commitB, Master)
	plan, err = Plan(master, false)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, w := range plan {
		got = append(got, w.Image+":"+w.Tag)
	}
	want = []string{"kfp-driver:" + commitB, "kfp-metadata-writer:" + commitB, "kfp-driver:master", "kfp-metadata-writer:master"}
	if !slices.Equal(got, want) {
		t.Errorf("Plan(master) = %v, want %v", got, want)
	}

	if _, err := Plan(master, true); err == nil {
		t.Error("Plan(master, latest) succeeded; only releases can be latest")
	}
	if _, err := Plan([]Record{{Image: "kfp-driver", Repository: recs[0].Repository, Version: "2.5.0", Commit: commitA, Platforms: recs[0].Platforms}}, false); err == nil || !strings.Contains(err.Error(), "no index digest") {
		t.Errorf("Plan without an index = %v, want an error", err)
	}
	if _, err := Plan([]Record{recs[0], recs[0]}, false); err == nil {
		t.Error("Plan with two records of one image succeeded")
	}
}

// putOrder returns the tags of plan's images in the order the log saw them
// written, leaving out staging tags.
func putOrder(log *requestLog) []string {
	var out []string
	for _, p := range log.tagPuts() {
		if !IsStagingTag(p[strings.Index(p, ":")+1:]) {
			out = append(out, p)
		}
	}
	return out
}

func TestPromote(t *testing.T) {
	var log requestLog
	reg := newTestRegistry(t, log.wrap)
	ctx := context.Background()
	r := newTestRemote(t)
	recs := stageRelease(t, reg, commitA, "2.5.0")
	plan, err := Plan(recs, true)
	if err != nil {
		t.Fatal(err)
	}
	log.reset()
	out, err := Promote(ctx, r, plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	puts := putOrder(&log)
	if len(puts) != len(plan) {
		t.Fatalf("wrote %v, want the %d tags of the plan", puts, len(plan))
	}
	lastImmutable, firstMoving := -1, len(puts)
	for i, p := range puts {
		tag := p[strings.Index(p, ":")+1:]
		if tags.Immutable(tag) {
			lastImmutable = i
		} else if i < firstMoving {
			firstMoving = i
		}
	}
	if lastImmutable > firstMoving {
		t.Errorf("write order %v: a moving tag was written before an immutable one", puts)
	}
	for i, o := range out {
		if !o.Written || o.Decision.State != Absent {
			t.Errorf("outcome %d = %+v, want written from absent", i, o)
		}
		if got := reg.holds(t, o.Write.Image, o.Write.Tag); got != o.Write.Digest {
			t.Errorf("%s holds %s", o.Write, got)
		}
	}
	// The moving tag was never read as a source: every manifest read by
	// tag is a decision or a read-back, and the index was read by digest.
	for _, req := range log.requests() {
		if strings.HasPrefix(req, "GET ") && strings.Contains(req, "/manifests/") && !strings.Contains(req, "/manifests/sha256:") {
			tag := req[strings.LastIndex(req, "/")+1:]
			if i := slices.IndexFunc(plan, func(w TagWrite) bool { return w.Tag == tag }); i < 0 {
				t.Errorf("read a manifest by a tag not in the plan: %s", req)
			}
		}
	}

	// A rerun finds everything in place and writes nothing.
	log.reset()
	out, err = Promote(ctx, r, plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	if puts := putOrder(&log); len(puts) != 0 {
		t.Errorf("rerun wrote %v, want nothing", puts)
	}
	for _, o := range out {
		if o.Written || o.Decision.State != Same {
			t.Errorf("rerun outcome %+v, want same and not written", o)
		}
	}
}

func TestPromoteRefusalWritesNothing(t *testing.T) {
	var log requestLog
	reg := newTestRegistry(t, log.wrap)
	ctx := context.Background()
	r := newTestRemote(t)
	old := stageRelease(t, reg, commitB, "2.5.0")
	// kfp-metadata-writer:2.5.0 was released from commit B; kfp-driver
	// was not released.
	write(t, reg, "kfp-metadata-writer", "2.5.0", old[1])
	recs := stageRelease(t, reg, commitA, "2.5.0")
	plan, err := Plan(recs, true)
	if err != nil {
		t.Fatal(err)
	}

	log.reset()
	out, err := Promote(ctx, r, plan, nil)
	var blocked *BlockedError
	if !errors.As(err, &blocked) || len(blocked.Refusals) != 1 || len(blocked.Unreadable) != 0 {
		t.Fatalf("Promote = %v, want one refusal", err)
	}
	ref := blocked.Refusals[0]
	if ref.Image != "kfp-metadata-writer" || ref.Ref != reg.repo("kfp-metadata-writer")+":2.5.0" ||
		ref.Have != old[1].Index || ref.HaveCommit != commitB || ref.Want != recs[1].Index || ref.WantCommit != commitA {
		t.Errorf("refusal = %+v", ref)
	}
	var re *RefusalError
	if !errors.As(err, &re) {
		t.Error("errors.As cannot find the RefusalError")
	}
	for _, w := range []string{"nothing written", "kfp-metadata-writer", ":2.5.0", old[1].Index.String(), recs[1].Index.String(), commitA, commitB} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	oneLineMessage(t, err)
	if puts := putOrder(&log); len(puts) != 0 {
		t.Errorf("a refused promotion wrote %v", puts)
	}
	for _, o := range out {
		if o.Written {
			t.Errorf("outcome %+v says written", o)
		}
	}
	if _, err := readTag(reg, t, "kfp-driver", "2.5.0"); err == nil {
		t.Error("kfp-driver:2.5.0 exists after a refused promotion")
	}

	// Forcing another image does not help.
	log.reset()
	if _, err := Promote(ctx, r, plan, map[string]bool{"kfp-driver": true}); !errors.As(err, &blocked) || len(blocked.Refusals) != 1 {
		t.Errorf("Promote forced for kfp-driver = %v, want the refusal of kfp-metadata-writer", err)
	}
	if puts := putOrder(&log); len(puts) != 0 {
		t.Errorf("wrote %v", puts)
	}

	// Forcing the image overwrites its immutable tag.
	log.reset()
	out, err = Promote(ctx, r, plan, map[string]bool{"kfp-metadata-writer": true})
	if err != nil {
		t.Fatal(err)
	}
	if got := reg.holds(t, "kfp-metadata-writer", "2.5.0"); got != recs[1].Index {
		t.Errorf("forced kfp-metadata-writer:2.5.0 holds %s, want %s", got, recs[1].Index)
	}
	if puts := putOrder(&log); len(puts) != len(plan) {
		t.Errorf("forced promotion wrote %v", puts)
	}
	if o := out[2]; o.Write.Tag != "2.5.0" || o.Decision.State != Other || !o.Written {
		t.Errorf("outcome of the forced tag = %+v", o)
	}

	// Naming an image the plan does not hold is a mistake.
	if _, err := Promote(ctx, r, plan, map[string]bool{"kfp-frontend": true}); err == nil || !strings.Contains(err.Error(), "kfp-frontend") {
		t.Errorf("Promote forcing an unknown image = %v, want an error", err)
	}
}

// readTag reads image:tag directly, for tests.
func readTag(reg testRegistry, t *testing.T, image, tag string) (string, error) {
	t.Helper()
	r := newTestRemote(t)
	m, err := r.Get(context.Background(), reg.directRef(t, image, tag))
	return m.Descriptor.Digest.String(), err
}

func TestPromoteUnreadableTagWritesNothing(t *testing.T) {
	var failing atomic.Bool
	var log requestLog
	reg := newTestRegistry(t, func(h http.Handler) http.Handler {
		return log.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// the moving tag of one image cannot be read
			if failing.Load() && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "kfp-metadata-writer/manifests/latest") {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			h.ServeHTTP(w, r)
		}))
	})
	recs := stageRelease(t, reg, commitA, "2.5.0")
	plan, err := Plan(recs, true)
	if err != nil {
		t.Fatal(err)
	}
	failing.Store(true)
	log.reset()
	_, err = Promote(context.Background(), newTestRemote(t), plan, nil)
	var blocked *BlockedError
	if !errors.As(err, &blocked) || len(blocked.Unreadable) != 1 || !strings.Contains(err.Error(), "kfp-metadata-writer:latest") {
		t.Fatalf("Promote = %v, want it blocked by the unreadable tag", err)
	}
	if puts := putOrder(&log); len(puts) != 0 {
		t.Errorf("wrote %v", puts)
	}
}

func TestPromoteResumesAfterPartialWrite(t *testing.T) {
	var allowed atomic.Int64
	allowed.Store(1 << 30)
	var log requestLog
	reg := newTestRegistry(t, func(h http.Handler) http.Handler {
		return log.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") && allowed.Add(-1) < 0 {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `{"errors":[{"code":"DENIED","message":"quota"}]}`)
				return
			}
			h.ServeHTTP(w, r)
		}))
	})
	ctx := context.Background()
	r := newTestRemote(t)
	recs := stageRelease(t, reg, commitA, "2.5.0")
	plan, err := Plan(recs, true)
	if err != nil {
		t.Fatal(err)
	}

	allowed.Store(3)
	log.reset()
	out, err := Promote(ctx, r, plan, nil)
	if err == nil || !strings.Contains(err.Error(), "wrote 3 tags, then") || !strings.Contains(err.Error(), "rerun to finish") {
		t.Fatalf("Promote = %v, want it to stop after 3 writes", err)
	}
	oneLineMessage(t, err)
	written := 0
	for _, o := range out {
		if o.Written {
			written++
		}
	}
	if written != 3 {
		t.Errorf("%d outcomes written, want 3", written)
	}

	// The rerun, without force, writes only what is missing.
	allowed.Store(1 << 30)
	log.reset()
	out, err = Promote(ctx, r, plan, nil)
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	var same, wrote []string
	for _, o := range out {
		if o.Decision.State == Same {
			same = append(same, o.Write.Image+":"+o.Write.Tag)
		}
		if o.Written {
			wrote = append(wrote, o.Write.Image+":"+o.Write.Tag)
		}
		if got := reg.holds(t, o.Write.Image, o.Write.Tag); got != o.Write.Digest {
			t.Errorf("%s holds %s", o.Write, got)
		}
	}
	if len(same) != 3 || len(wrote) != len(plan)-3 {
		t.Errorf("rerun: same %v, wrote %v; want the first 3 same and the rest written", same, wrote)
	}
	if puts := putOrder(&log); !slices.Equal(puts, wrote) {
		t.Errorf("rerun wrote %v, want %v", puts, wrote)
	}
}

func TestPromoteLatest(t *testing.T) {
	var log requestLog
	reg := newTestRegistry(t, log.wrap)
	ctx := context.Background()
	r := newTestRemote(t)
	prev := stageRelease(t, reg, commitB, "2.4.0")
	cur := stageRelease(t, reg, commitA, "2.5.0")
	for _, recs := range [][]Record{prev, cur} {
		plan, err := Plan(recs, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Promote(ctx, r, plan, nil); err != nil {
			t.Fatal(err)
		}
	}
	// latest points at 2.4.0; master at something else entirely
	master := stageRelease(t, reg, commitB, Master)
	for i, img := range []string{"kfp-driver", "kfp-metadata-writer"} {
		write(t, reg, img, "latest", prev[i])
		write(t, reg, img, "master", master[i])
	}
	targets := []Target{cur[1].Target(), cur[0].Target()}

	plan, err := PlanLatest(ctx, r, targets, "2.5.0")
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 2 || plan[0].Image != "kfp-driver" || plan[0].Tag != Latest || plan[0].Digest != cur[0].Index || plan[0].Commit != commitA || plan[0].Immutable {
		t.Errorf("PlanLatest = %+v", plan)
	}
	log.reset()
	if _, err := PromoteLatest(ctx, r, targets, "2.5.0"); err != nil {
		t.Fatal(err)
	}
	for i, img := range []string{"kfp-driver", "kfp-metadata-writer"} {
		if got := reg.holds(t, img, "latest"); got != cur[i].Index {
			t.Errorf("%s:latest holds %s, want 2.5.0's %s", img, got, cur[i].Index)
		}
	}
	for _, req := range log.requests() {
		if strings.Contains(req, "/manifests/master") {
			t.Errorf("PromoteLatest read a mutable tag: %s", req)
		}
		if strings.HasPrefix(req, "POST ") || strings.HasPrefix(req, "PATCH ") {
			t.Errorf("PromoteLatest uploaded something: %s", req)
		}
	}

	for _, v := range []string{Master, "2.5.0-rc.1", commitA, "latest"} {
		if _, err := PlanLatest(ctx, r, targets, v); err == nil {
			t.Errorf("PlanLatest(%q) succeeded", v)
		}
	}
	if _, err := PlanLatest(ctx, r, targets, "2.6.0"); err == nil || !strings.Contains(err.Error(), "is not published") {
		t.Errorf("PlanLatest of an unpublished version = %v", err)
	}
}

func TestPromoteRejectsBadPlans(t *testing.T) {
	w := func(tag string, immutable bool) TagWrite {
		return TagWrite{Image: "kfp-driver", Repository: "127.0.0.1:1/kubeflow/kfp-driver", Tag: tag, Digest: hash(t, 'a'), Commit: commitA, Immutable: immutable}
	}
	for _, tt := range []struct {
		name string
		plan []TagWrite
		want string
	}{
		{"moving before immutable", []TagWrite{w("master", false), w(commitA, true)}, "every immutable tag must be written first"},
		{"immutable tag marked moving", []TagWrite{w("2.5.0", false)}, "internal/tags says true"},
		{"moving tag marked immutable", []TagWrite{w("latest", true)}, "internal/tags says false"},
		{"no digest", []TagWrite{{Image: "kfp-driver", Repository: "r/kfp-driver", Tag: "master"}}, "incomplete"},
	} {
		// no registry is reached: the plan is rejected first
		if _, err := Promote(context.Background(), nil, tt.plan, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Promote = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestCheckLatest(t *testing.T) {
	for _, v := range []string{"2.17.0", "1.0.0"} {
		if err := CheckLatest(v); err != nil {
			t.Errorf("CheckLatest(%q) = %v, want nil", v, err)
		}
	}
	for _, v := range []string{"master", "2.17.0-rc.1", "0123456789abcdef0123456789abcdef01234567", "", "latest", "2.17"} {
		if err := CheckLatest(v); err == nil || !strings.Contains(err.Error(), "only a release can be latest") {
			t.Errorf("CheckLatest(%q) = %v, want a refusal", v, err)
		}
	}
}
