package main

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// render returns the table, the targets and the notes on method.
func (b *bench) render(phases []phase, started time.Time, load, changed string, bgEngine, bgBK time.Duration) string {
	var s strings.Builder
	fmt.Fprintf(&s, "kfp-dagger vs raw BuildKit on sample/, %s, %s\n", started.UTC().Format("2006-01-02 15:04 MST"), versions())
	fmt.Fprintf(&s, "load average at start %s; %d images, %s only, at most %d builds at once for both tools; commit %s\n\n",
		load, len(b.imgs), platform, b.concurrency, b.commit)
	s.WriteString("| phase | kfp-dagger wall s | kfp-dagger CPU s | BuildKit wall s | BuildKit CPU s | ratio (wall) | images rebuilt |\n")
	s.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, p := range phases {
		fmt.Fprintf(&s, "| %s | %s | %s | %s | %s | %s | %s |\n", p.name,
			secs(p.dagger, p.dagger.wall), secs(p.dagger, p.dagger.cpu()),
			secs(p.bk, p.bk.wall), secs(p.bk, p.bk.cpu()),
			ratio(p), b.rebuiltCell(p))
	}
	s.WriteString("\nTargets:\n")
	for _, t := range b.targets(phases, changed) {
		s.WriteString("- " + t + "\n")
	}
	s.WriteString("\nPer phase (CPU = daemon + client; registry requests through the counting proxy):\n")
	for _, p := range phases {
		for _, t := range []struct {
			tool string
			r    toolResult
		}{{"kfp-dagger", p.dagger}, {"BuildKit", p.bk}} {
			fmt.Fprintf(&s, "- %s, %s: daemon %.1f s + client %.1f s CPU; blob uploads %d, mounts %d, manifest PUTs %d",
				p.name, t.tool, t.r.daemonCPU.Seconds(), t.r.clientCPU.Seconds(), t.r.blobs.Uploads, t.r.blobs.Mounts, t.r.blobs.Manifests)
			if t.r.copied != nil {
				fmt.Fprintf(&s, "; COPY/ADD steps ran in: %s", b.names(t.r.copied))
			}
			if t.r.err != nil {
				fmt.Fprintf(&s, "; FAILED: %s", firstLine(t.r.err.Error()))
			}
			s.WriteString("\n")
		}
	}
	fmt.Fprintf(&s, `
Method:
- Same builds: every image of the sample's set (the tree's workflow, rewritten in a temp copy to list only amd64 so that
  publish-all, which has no platform flag, publishes amd64 only), the same Dockerfile, context, build args (catalog
  BuildArgValues; empty values left out, as kfp-dagger does), OCI labels, base images from the same docker.io mirror.
  Both tools build kfp-release FROM a kfp-api-generator they push first (through the counting proxy).
  kfp-dagger: build-all --concurrency=%[1]d --platforms=%[2]s / publish-all --concurrency=%[1]d;
  BuildKit: buildctl build (built-in dockerfile frontend), at most %[1]d at once, no exporter unless pushing.
- Wall: the dagger CLI call; for BuildKit, from the first buildctl start to the last one's end. The tools run one after the other.
- CPU: user+system seconds of the daemon over the phase from /proc/<pid>/stat (utime+stime+cutime+cstime: its threads
  plus every child it has reaped: runc, the build processes, CNI plugins), plus the clients' own rusage (dagger CLI,
  every buildctl). The Dagger engine is shared with other users of this machine; its CPU figures (and the
  wall times, on 2 cores) include whatever else it ran meanwhile (see the idle sample below).
- Rebuilt: an image counts as rebuilt when at least one of its RUN steps executed instead of coming from the cache.
  BuildKit: vertices of buildctl --progress=rawjson with cached=false. kfp-dagger: withExec spans that end DONE, not
  CACHED, under the image's Directory.dockerBuild span in the CLI's plain progress output. Images without a RUN step
  (only COPY and config) never count; a new commit changes only their ENV and labels.
- Blob uploads: a reverse proxy in front of the publish registry counts the blobs sent (the PUT that completes an
  upload, or a POST carrying the digest); mounts and manifest PUTs are counted apart. "republish" pushes the images just pushed, unchanged, again.
`, b.concurrency, platform)
	fmt.Fprintf(&s, "- Idle sample: in the 10 s before the first build, with nothing of ours running, the engine used %.1f s CPU and buildkitd %.1f s.\n",
		bgEngine.Seconds(), bgBK.Seconds())
	return s.String()
}

func secs(r toolResult, d time.Duration) string {
	if r.err != nil {
		return "failed"
	}
	return fmt.Sprintf("%.1f", d.Seconds())
}

func ratio(p phase) string {
	if p.dagger.err != nil || p.bk.err != nil || p.bk.wall <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", p.dagger.wall.Seconds()/p.bk.wall.Seconds())
}

func (b *bench) rebuiltCell(p phase) string {
	var cell string
	switch {
	case p.dagger.err != nil || p.bk.err != nil:
		cell = "n/a"
	case slices.Equal(p.dagger.rebuilt, p.bk.rebuilt) && len(p.dagger.rebuilt) == 0:
		cell = "none (both)"
	case slices.Equal(p.dagger.rebuilt, p.bk.rebuilt):
		cell = fmt.Sprintf("%d, both: %s", len(p.dagger.rebuilt), b.names(p.dagger.rebuilt))
	default:
		cell = fmt.Sprintf("kfp-dagger %d: %s; BuildKit %d: %s", len(p.dagger.rebuilt), b.names(p.dagger.rebuilt), len(p.bk.rebuilt), b.names(p.bk.rebuilt))
	}
	if strings.Contains(p.name, "publish") {
		cell += fmt.Sprintf("; blob uploads kfp-dagger %d, BuildKit %d", p.dagger.blobs.Uploads, p.bk.blobs.Uploads)
	}
	return cell
}

// names turns image names into the short names, comma-separated.
func (b *bench) names(imgs []string) string {
	if len(imgs) == 0 {
		return "none"
	}
	var out []string
	for _, n := range imgs {
		if img, err := b.set.Lookup(n); err == nil {
			n = img.Short
		}
		out = append(out, n)
	}
	return strings.Join(out, ", ")
}

func (b *bench) targets(phases []phase, changed string) []string {
	find := func(prefix string) (phase, bool) {
		for _, p := range phases {
			if strings.HasPrefix(p.name, prefix) {
				return p, p.dagger.err == nil && p.bk.err == nil
			}
		}
		return phase{}, false
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	var out []string
	if p, ok := find("cold"); ok {
		r := p.dagger.wall.Seconds() / p.bk.wall.Seconds()
		out = append(out, fmt.Sprintf("cold: kfp-dagger ÷ BuildKit wall = %.2f (target ≤ 1.05): %s", r, verdict(r <= 1.05)))
	} else {
		out = append(out, "cold: a tool failed, no figure")
	}
	if p, ok := find("warm"); ok {
		d, k := p.dagger.wall.Seconds(), p.bk.wall.Seconds()
		out = append(out, fmt.Sprintf("warm, no change: kfp-dagger %.1f s = %.1f× BuildKit's %.1f s (target ≤ 2× and ≤ 5 s): %s", d, d/k, k, verdict(d <= 2*k && d <= 5)))
	} else {
		out = append(out, "warm: a tool failed, no figure")
	}
	if p, ok := find("one-line"); ok {
		var affected []string
		for _, img := range b.set.Affected([]string{changed}) {
			affected = append(affected, img.Name)
		}
		sub := func(s []string) bool {
			for _, n := range s {
				if !slices.Contains(affected, n) {
					return false
				}
			}
			return true
		}
		out = append(out, fmt.Sprintf("one-line change: images whose catalog inputs hold %s: %s; rebuilt by kfp-dagger: %s, by BuildKit: %s (target: only those): %s",
			changed, b.names(affected), b.names(p.dagger.rebuilt), b.names(p.bk.rebuilt), verdict(sub(p.dagger.rebuilt) && sub(p.bk.rebuilt))))
	} else {
		out = append(out, "one-line change: a tool failed, no figure")
	}
	if p, ok := find("republish"); ok {
		out = append(out, fmt.Sprintf("republish: blob uploads kfp-dagger %d, BuildKit %d (target 0): %s",
			p.dagger.blobs.Uploads, p.bk.blobs.Uploads, verdict(p.dagger.blobs.Uploads == 0 && p.bk.blobs.Uploads == 0)))
	} else {
		out = append(out, "republish: a tool failed, no figure")
	}
	return out
}

func versions() string {
	v := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).Output()
		if err != nil {
			return name + " (version unknown)"
		}
		return strings.TrimSpace(firstLine(string(out)))
	}
	return v("dagger", "version") + "; " + v("buildctl", "--version")
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
