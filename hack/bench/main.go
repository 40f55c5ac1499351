// Command bench compares kfp-dagger with raw BuildKit on the sample tree, in
// one run: a cold build (a commit neither tool has built), a warm build with
// no change, a build after a one-line change in one backend Go file, and a
// republish of unchanged images through a proxy that counts blob uploads. It
// prints wall and CPU seconds per tool, the ratio, and which images were
// rebuilt. hack/bench.sh sets up both daemons and runs it; see the README's
// Benchmark section. It is not part of CI.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kfp-dagger/kfp-dagger/internal/catalog"
	"github.com/kfp-dagger/kfp-dagger/internal/labels"
	"github.com/kfp-dagger/kfp-dagger/internal/tags"
)

const (
	platform  = catalog.LinuxAMD64
	version   = "master"
	sourceURL = "https://github.com/kubeflow/pipelines" // kfp-dagger's default --source-url
)

type bench struct {
	repoRoot, tree, work string
	concurrency          int
	commit, ns           string
	set                  catalog.Set
	imgs                 []catalog.Image
	nvmrc                string
	registryUser, pwFile string
	proxy                *countingProxy
	engine, buildkitd    daemon
	calls                int // dagger calls so far, to name their logs
}

// logPath names the file the next dagger call's progress output is kept in
// (with -keep, for a look at where the time went).
func (b *bench) logPath(verb string) string {
	b.calls++
	return filepath.Join(b.work, fmt.Sprintf("dagger-%02d-%s.log", b.calls, verb))
}

// toolResult is one tool in one phase.
type toolResult struct {
	wall, daemonCPU, clientCPU time.Duration
	rebuilt                    []string // images in which a RUN step executed
	copied                     []string // BuildKit only: images in which a COPY/ADD step executed
	blobs                      counts   // what the counting proxy saw
	err                        error
}

func (r toolResult) cpu() time.Duration { return r.daemonCPU + r.clientCPU }

type phase struct {
	name       string
	dagger, bk toolResult
}

func main() {
	repo := flag.String("repo", ".", "the kfp-dagger repository (dagger.json, sample/)")
	out := flag.String("out", os.Getenv("KFP_BENCH_OUT"), "also write the table and notes to this file ($KFP_BENCH_OUT)")
	conc := flag.Int("concurrency", 2, "image builds at once, for both tools")
	enginePID := flag.String("engine-pidfile", "/var/lib/kfp-dagger/run/engine.pid", "PID file of the Dagger engine")
	bkPID := flag.String("buildkitd-pidfile", os.Getenv("KFP_BUILDKITD_PIDFILE"), "PID file of buildkitd (hack/buildkit.sh env)")
	changed := flag.String("change", "backend/src/v2/driver/driver.go", "the backend Go file the one-line change appends a comment to")
	keep := flag.Bool("keep", false, "keep the work directory (temp tree, logs)")
	flag.Parse()
	if err := run(*repo, *out, *conc, *enginePID, *bkPID, *changed, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[bench %s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(repo, out string, conc int, enginePID, bkPID, changed string, keep bool) error {
	ctx := context.Background()
	started := time.Now()
	load := loadAverage()
	b := &bench{concurrency: conc, registryUser: os.Getenv("KFP_REGISTRY_USERNAME"), pwFile: os.Getenv("KFP_REGISTRY_PASSWORD_FILE")}
	var err error
	if b.repoRoot, err = filepath.Abs(repo); err != nil {
		return err
	}
	registry := os.Getenv("KFP_REGISTRY")
	if registry == "" || b.registryUser == "" || b.pwFile == "" {
		return fmt.Errorf(`KFP_REGISTRY, KFP_REGISTRY_USERNAME and KFP_REGISTRY_PASSWORD_FILE must be set: eval "$(hack/engine.sh env)"`)
	}
	if os.Getenv("BUILDKIT_HOST") == "" {
		return fmt.Errorf(`BUILDKIT_HOST is not set: eval "$(hack/buildkit.sh env)"`)
	}
	if b.engine, err = findDaemon("dagger engine", enginePID, "dagger-engine"); err != nil {
		return err
	}
	if b.buildkitd, err = findDaemon("buildkitd", bkPID, "buildkitd"); err != nil {
		return err
	}
	if b.work, err = os.MkdirTemp("", "kfp-bench-"); err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(b.work)
	}
	if err := b.prepareTree(); err != nil {
		return err
	}
	if b.proxy, err = startCountingProxy(registry); err != nil {
		return err
	}
	defer b.proxy.close()
	if err := b.dockerConfig(registry); err != nil {
		return err
	}
	b.commit = randomCommit()
	b.ns = "bench-" + b.commit[:12]
	logf("load average %s; %d images for %s; commit %s; work dir %s; counting proxy %s -> %s", load, len(b.imgs), platform, b.commit, b.work, b.proxy.addr, registry)

	// What the daemons burn with nobody of ours calling them, for the notes.
	bgEngine, bgBK := b.background(10 * time.Second)

	// Prime both tools with a build of another commit, so each holds what
	// a CI cache holds before a new commit: the base images and every step
	// that does not read the commit (kfp-api-generator, kfp-release, COPY
	// layers). The engine has built the sample before; buildkitd may not have.
	primeCommit := b.commit
	b.commit = randomCommit()
	logf("priming both tools with commit %s (not timed)", b.commit)
	prime := phase{name: "prime (another commit, not in the table)", dagger: b.daggerBuildAll(ctx), bk: b.bkBuildAll(ctx)}
	b.commit = primeCommit
	logf("primed: kfp-dagger %.1f s (err=%v), BuildKit %.1f s (err=%v)", prime.dagger.wall.Seconds(), prime.dagger.err, prime.bk.wall.Seconds(), prime.bk.err)
	if prime.dagger.err != nil || prime.bk.err != nil {
		return fmt.Errorf("priming failed: kfp-dagger: %v; BuildKit: %v", prime.dagger.err, prime.bk.err)
	}

	var phases []phase
	add := func(name string, fn func(context.Context) toolResult, bk func(context.Context) toolResult) {
		logf("phase %q: kfp-dagger", name)
		d := fn(ctx)
		logf("phase %q: kfp-dagger %.1f s wall, %.1f s CPU, err=%v", name, d.wall.Seconds(), d.cpu().Seconds(), d.err)
		logf("phase %q: BuildKit", name)
		k := bk(ctx)
		logf("phase %q: BuildKit %.1f s wall, %.1f s CPU, err=%v", name, k.wall.Seconds(), k.cpu().Seconds(), k.err)
		phases = append(phases, phase{name: name, dagger: d, bk: k})
	}
	add("cold (new commit)", b.daggerBuildAll, b.bkBuildAll)
	add("warm, no change", b.daggerBuildAll, b.bkBuildAll)
	if err := appendLine(filepath.Join(b.tree, changed), "// kfp-dagger bench: a one-line change\n"); err != nil {
		return err
	}
	add("one-line change in "+changed, b.daggerBuildAll, b.bkBuildAll)
	add("publish, first push (setup)", b.daggerPublishAll, b.bkPublishAll)
	add("republish unchanged", b.daggerPublishAll, b.bkPublishAll)

	text := b.render(phases, started, load, changed, bgEngine, bgBK)
	text += fmt.Sprintf("- Priming (not in the table): both tools first built every image with another commit, so each starts the cold phase\n"+
		"  with the base images and the steps that do not read the commit cached: kfp-dagger %.1f s, BuildKit %.1f s.\n",
		prime.dagger.wall.Seconds(), prime.bk.wall.Seconds())
	fmt.Println(text)
	if out != "" {
		if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
			return err
		}
		logf("wrote %s", out)
	}
	for _, p := range phases {
		if p.dagger.err != nil || p.bk.err != nil {
			return fmt.Errorf("phase %q failed", p.name)
		}
	}
	return nil
}

// prepareTree copies the sample to a temp tree and makes its workflow list
// only the amd64 arch, so publish-all (which has no platform flag) publishes
// amd64 only, as the BuildKit side does. No image copies the workflow file.
func (b *bench) prepareTree() error {
	b.tree = filepath.Join(b.work, "tree")
	if out, err := exec.Command("cp", "-a", filepath.Join(b.repoRoot, "sample")+"/.", b.tree+"/").CombinedOutput(); err != nil {
		return fmt.Errorf("copy the sample: %v: %s", err, out)
	}
	wf := filepath.Join(b.tree, catalog.WorkflowPath)
	data, err := os.ReadFile(wf)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	onlyArch(&doc, platform)
	if data, err = yaml.Marshal(&doc); err != nil {
		return err
	}
	if err := os.WriteFile(wf, data, 0o644); err != nil {
		return err
	}
	if b.set, err = catalog.FromWorkflow(data); err != nil {
		return err
	}
	b.imgs = b.set.All()
	for _, img := range b.imgs {
		if !slices.Equal(img.Platforms, []string{platform}) {
			return fmt.Errorf("%s: platforms %v after the workflow rewrite, want only %s", img.Name, img.Platforms, platform)
		}
	}
	nv, err := os.ReadFile(filepath.Join(b.tree, "frontend/.nvmrc"))
	b.nvmrc = string(nv)
	return err
}

// onlyArch drops every matrix arch entry whose platform is not p.
func onlyArch(n *yaml.Node, p string) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "arch" && v.Kind == yaml.SequenceNode {
				var keep []*yaml.Node
				for _, e := range v.Content {
					if child(e, "platform") == p {
						keep = append(keep, e)
					}
				}
				v.Content = keep
			}
		}
	}
	for _, c := range n.Content {
		onlyArch(c, p)
	}
}

func child(n *yaml.Node, key string) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// dockerConfig writes a DOCKER_CONFIG with the registry's credentials under
// its own address and the proxy's, for buildctl's pushes and pulls.
func (b *bench) dockerConfig(registry string) error {
	pw, err := os.ReadFile(b.pwFile)
	if err != nil {
		return err
	}
	auth := encodeBasic(b.registryUser, strings.TrimSpace(string(pw)))
	dir := filepath.Join(b.work, "docker")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	cfg := fmt.Sprintf(`{"auths":{%q:{"auth":%q},%q:{"auth":%q}}}`, registry, auth, b.proxy.addr, auth)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		return err
	}
	return os.Setenv("DOCKER_CONFIG", dir)
}

func (b *bench) background(d time.Duration) (engine, bk time.Duration) {
	e0, _ := b.engine.cpu()
	k0, _ := b.buildkitd.cpu()
	time.Sleep(d)
	e1, _ := b.engine.cpu()
	k1, _ := b.buildkitd.cpu()
	return e1 - e0, k1 - k0
}

// measure runs fn and charges it with the daemon's CPU time over its run,
// the client CPU time fn reports, and the proxy's counts.
func (b *bench) measure(d daemon, fn func(r *toolResult) error) toolResult {
	var r toolResult
	c0, err0 := d.cpu()
	u0 := b.proxy.snapshot()
	start := time.Now()
	err := fn(&r)
	r.wall = time.Since(start)
	c1, err1 := d.cpu()
	r.blobs = b.proxy.snapshot().minus(u0)
	r.daemonCPU = c1 - c0
	switch {
	case err != nil:
		r.err = err
	case err0 != nil:
		r.err = err0
	case err1 != nil:
		r.err = err1
	}
	return r
}

func (b *bench) registryPath(tool string) string { return b.proxy.addr + "/" + b.ns + "/" + tool }

// daggerArgs is the argv of a dagger call of verb, after the module set-up
// in setup, with the bench's registry and concurrency.
func (b *bench) daggerArgs(verb string, setup ...string) []string {
	args := []string{"--source=" + b.tree, "--commit=" + b.commit,
		"with-registry-auth", "--address=" + b.proxy.addr, "--username=" + b.registryUser, "--secret=file:" + b.pwFile}
	return append(append(args, setup...), verb, fmt.Sprintf("--concurrency=%d", b.concurrency),
		"--registry="+b.registryPath("dagger"), "--format=json")
}

// daggerBuildAll is `build-all --concurrency=2 --platforms=linux/amd64`; with
// --registry it pushes kfp-api-generator and builds kfp-release FROM it.
func (b *bench) daggerBuildAll(ctx context.Context) toolResult {
	return b.measure(b.engine, func(r *toolResult) error {
		dr, err := runDagger(ctx, b.repoRoot, append(b.daggerArgs("build-all"), "--platforms="+platform)...)
		r.clientCPU = dr.cpu
		writeFile(b.logPath("build-all"), dr.stderr)
		if err != nil {
			return err
		}
		if _, err := checkReport(dr.stdout, "built", len(b.imgs)); err != nil {
			return err
		}
		r.rebuilt, err = b.daggerRebuilt(dr.stderr)
		return err
	})
}

// daggerPublishAll is `publish-all --concurrency=2`; the tree's workflow
// lists amd64 only.
func (b *bench) daggerPublishAll(ctx context.Context) toolResult {
	return b.measure(b.engine, func(r *toolResult) error {
		// the proxy is on loopback: module code reaches it through a
		// tunnel; no smoke run, which buildctl does not do either
		dr, err := runDagger(ctx, b.repoRoot, append(b.daggerArgs("publish-all",
			"with-registry-tunnel", "--service=tcp://localhost:"+b.proxy.addr[strings.LastIndex(b.proxy.addr, ":")+1:]), "--smoke=false")...)
		r.clientCPU = dr.cpu
		writeFile(b.logPath("publish-all"), dr.stderr)
		if err != nil {
			return err
		}
		if _, err := checkReport(dr.stdout, "published", len(b.imgs)); err != nil {
			return err
		}
		r.rebuilt, err = b.daggerRebuilt(dr.stderr)
		return err
	})
}

// daggerRebuilt maps the Dockerfiles whose dockerBuild ran a RUN step to image names.
func (b *bench) daggerRebuilt(stderr string) ([]string, error) {
	executed := daggerExecuted(stderr)
	hit := map[string]bool{}
	for f := range executed {
		img, ok := b.byDockerfile(f)
		if !ok {
			return nil, fmt.Errorf("dagger output: dockerBuild of %s matches no image", f)
		}
		hit[img] = true
	}
	return sortedKeys(hit), nil
}

// byDockerfile finds the image whose dockerBuild got this Dockerfile path
// (relative to its context, as kfp-dagger passes it).
func (b *bench) byDockerfile(f string) (string, bool) {
	for _, img := range b.imgs {
		if dockerfileInContext(img) == f {
			return img.Name, true
		}
	}
	return "", false
}

func dockerfileInContext(img catalog.Image) string {
	if img.Context == "." {
		return img.Dockerfile
	}
	return strings.TrimPrefix(img.Dockerfile, img.Context+"/")
}

// job is the buildctl build of img that kfp-dagger's build does: the same
// Dockerfile, context, platform, build arguments (empty ones left out, as
// kfp-dagger does) and OCI labels.
func (b *bench) job(img catalog.Image, baseImage string, push []string) (buildctlJob, error) {
	args, err := img.BuildArgValues(catalog.BuildInputs{Commit: b.commit, Tag: version, Registry: b.registryPath("buildkit"), NVMRC: b.nvmrc})
	if err != nil {
		return buildctlJob{}, err
	}
	j := buildctlJob{
		image:      img.Name,
		contextDir: filepath.Join(b.tree, img.Context),
		dockerfile: filepath.Join(b.tree, img.Dockerfile),
		platform:   platform,
		buildArgs:  map[string]string{},
		labels:     map[string]string{},
		push:       push,
	}
	for _, a := range args {
		if a.Name == "BASE_IMAGE" && baseImage != "" {
			a.Value = baseImage
		}
		if a.Value != "" {
			j.buildArgs[a.Name] = a.Value
		}
	}
	ls, err := labels.For(labels.Inputs{Title: img.Name, SourceURL: sourceURL, Commit: b.commit, Version: version, Created: time.Unix(0, 0).UTC(), Licenses: "Apache-2.0"})
	if err != nil {
		return buildctlJob{}, err
	}
	for _, l := range ls {
		j.labels[l.Name] = l.Value
	}
	return j, nil
}

// refs are the references kfp-dagger's publish-all pushes an image under:
// the commit and master for published images, master for tool images.
func (b *bench) refs(img catalog.Image) ([]string, error) {
	ts := []string{version}
	if !img.Tool {
		var err error
		if ts, err = tags.Compute(tags.Trigger{Kind: tags.Master, Commit: b.commit}); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, t := range ts {
		out = append(out, b.registryPath("buildkit")+"/"+img.Name+":"+t)
	}
	return out, nil
}

func (b *bench) bkBuildAll(ctx context.Context) toolResult { return b.bkRun(ctx, false) }

func (b *bench) bkPublishAll(ctx context.Context) toolResult { return b.bkRun(ctx, true) }

// bkRun builds every image with buildctl, at most b.concurrency at once: the
// images no other is built FROM first, then those built FROM one of them
// (kfp-release FROM kfp-api-generator, pushed first), as kfp-dagger orders
// them. With publish, every image is pushed under its tags.
func (b *bench) bkRun(ctx context.Context, publish bool) toolResult {
	return b.measure(b.buildkitd, func(r *toolResult) error {
		needed := map[string]bool{}
		for _, img := range b.imgs {
			if img.DependsOn != "" {
				needed[img.DependsOn] = true
			}
		}
		var first, later []catalog.Image
		for _, img := range b.imgs {
			if img.DependsOn != "" {
				later = append(later, img)
			} else {
				first = append(first, img)
			}
		}
		results := map[string]buildctlResult{}
		var mu sync.Mutex
		runGroup := func(group []catalog.Image) error {
			sem := make(chan struct{}, b.concurrency)
			errs := make([]error, len(group))
			var wg sync.WaitGroup
			for i, img := range group {
				var push []string
				var err error
				switch {
				case publish:
					push, err = b.refs(img)
				case needed[img.Name]:
					push = []string{b.registryPath("buildkit") + "/" + img.Name + ":" + version}
				}
				base := ""
				if img.DependsOn != "" {
					mu.Lock()
					dep, ok := results[img.DependsOn]
					mu.Unlock()
					if !ok {
						return fmt.Errorf("%s: %s, which it is built FROM, was not pushed", img.Name, img.DependsOn)
					}
					base = b.registryPath("buildkit") + "/" + img.DependsOn + ":" + version + "@" + dep.digest
				}
				if err != nil {
					return err
				}
				j, err := b.job(img, base, push)
				if err != nil {
					return err
				}
				wg.Add(1)
				sem <- struct{}{}
				go func(i int, j buildctlJob) {
					defer wg.Done()
					defer func() { <-sem }()
					res, err := runBuildctl(ctx, j, b.work)
					errs[i] = err
					mu.Lock()
					results[j.image] = res
					mu.Unlock()
				}(i, j)
			}
			wg.Wait()
			var msgs []string
			for _, err := range errs {
				if err != nil {
					msgs = append(msgs, err.Error())
				}
			}
			if len(msgs) > 0 {
				return fmt.Errorf("%s", strings.Join(msgs, "\n"))
			}
			return nil
		}
		if err := runGroup(first); err != nil {
			return err
		}
		if err := runGroup(later); err != nil {
			return err
		}
		rebuilt, copied := map[string]bool{}, map[string]bool{}
		for name, res := range results {
			r.clientCPU += res.cpu
			rebuilt[name] = res.runs > 0
			copied[name] = res.copies > 0
		}
		r.rebuilt, r.copied = sortedKeys(rebuilt), sortedKeys(copied)
		return nil
	})
}

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func randomCommit() string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func encodeBasic(user, pw string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pw))
}

func sortStrings(s []string) { sort.Strings(s) }
