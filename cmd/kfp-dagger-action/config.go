package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kfp-dagger/kfp-dagger/internal/catalog"
)

// Commands are what the command input accepts, in the order errors name
// them: auto lets the event decide (see decide), the others are kfp
// functions.
var Commands = []string{"auto", "test", "build-all", "scan-all", "plan", "publish-all", "stage", "promote"}

const (
	defaultRegistry    = "ghcr.io/kubeflow"
	defaultSource      = "."
	defaultConcurrency = 2
	defaultRecordsDir  = "kfp-records"
	defaultScanDir     = "kfp-scan"
	// PasswordEnv is the child environment variable that carries the
	// registry password; dagger reads it as a Secret through env:.
	PasswordEnv = "KFP_REGISTRY_PASSWORD"
	// SigningKeyEnv and SigningKeyPasswordEnv carry the cosign signing key
	// and its password to dagger the same way.
	SigningKeyEnv         = "KFP_DAGGER_SIGNING_KEY"
	SigningKeyPasswordEnv = "KFP_DAGGER_SIGNING_KEY_PASSWORD"
)

// secretInputs are the inputs that hold secrets and the child environment
// variable each reaches dagger through. The input's own variables
// (INPUT_<NAME> on GitHub, KFP_<NAME> elsewhere) are kept out of the
// child's environment; the values are masked and redacted.
var secretInputs = []struct{ Input, Env string }{
	{"password", PasswordEnv},
	{"signing-key", SigningKeyEnv},
	{"signing-key-password", SigningKeyPasswordEnv},
}

// inputVars are the environment variables an input is read from:
// INPUT_<NAME> on GitHub (hyphens kept), KFP_<NAME> elsewhere.
func inputVars(name string) []string {
	return []string{"INPUT_" + strings.ToUpper(name), "KFP_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))}
}

// Config is the action's inputs.
type Config struct {
	Command     string
	Registry    string
	Username    string
	Password    string
	Images      []string
	Platforms   []string
	Smoke       bool
	Latest      bool
	Force       []string
	Concurrency int
	Source      string
	Module      string
	// Since is a git ref: build-all, plan and test then select only what
	// the files changed since its merge base with HEAD reach.
	Since string
	// Records are the records.json files of stage runs, for promote.
	Records []string
	// RecordsDir is where stage exports records.json, summary.md and summary.json.
	RecordsDir string
	// ScanDir is where scan-all exports its reports (SARIF included).
	ScanDir string
	// RegistryTunnel, e.g. tcp://localhost:5000, reaches a registry on the
	// host's loopback from the module (publish-all, stage, promote).
	RegistryTunnel string
	// DryRun prints the dagger calls and runs none.
	DryRun bool
	// SigningKey and SigningKeyPassword: publish-all and promote sign each
	// index's evidence with this cosign key before any tag moves.
	SigningKey, SigningKeyPassword string
	// CosignImage overrides the module's cosign image (air-gapped mirrors).
	CosignImage string
	// TrivyImage overrides the module's Trivy image (air-gapped mirrors).
	TrivyImage string
	// Notices are input fixes worth telling the user about.
	Notices []string
}

// readConfig reads and checks the action inputs; actor is the username
// used when the username input is empty.
func readConfig(input func(string) string, actor string) (Config, error) {
	c := Config{
		Command:    orDefault(input("command"), "auto"),
		Registry:   orDefault(input("registry"), defaultRegistry),
		Username:   orDefault(input("username"), actor),
		Password:   input("password"),
		Source:     orDefault(input("source"), defaultSource),
		Module:     input("module"),
		Images:     splitList(input("images")),
		Since:      strings.TrimSpace(input("since")),
		Records:    splitList(input("records")),
		RecordsDir: orDefault(input("records-dir"), defaultRecordsDir),
		ScanDir:    orDefault(input("scan-dir"), defaultScanDir),
		// a registry on the runner's loopback (self-hosted runners, tests)
		RegistryTunnel:     strings.TrimSpace(input("registry-tunnel")),
		SigningKey:         input("signing-key"),
		SigningKeyPassword: input("signing-key-password"),
		CosignImage:        strings.TrimSpace(input("cosign-image")),
		TrivyImage:         strings.TrimSpace(input("trivy-image")),
	}
	if c.SigningKeyPassword != "" && c.SigningKey == "" {
		return c, errors.New("input signing-key-password needs the signing-key input")
	}
	if !validCommand(c.Command) {
		return c, fmt.Errorf("invalid command %q: want one of %s", c.Command, strings.Join(Commands, ", "))
	}
	if lower := strings.ToLower(c.Registry); lower != c.Registry {
		// Registry paths must be lowercase; github.repository_owner may not be.
		c.Notices = append(c.Notices, fmt.Sprintf("registry %s has upper-case letters: using %s", c.Registry, lower))
		c.Registry = lower
	}
	var err error
	if exclude := splitList(input("exclude")); len(exclude) > 0 {
		if c.Command == "test" {
			return c, fmt.Errorf("input exclude applies to build-all, plan and publish-all, not test")
		}
		if len(c.Images) > 0 {
			return c, fmt.Errorf("set the images input or the exclude input, not both")
		}
		if c.Images, err = allImagesBut(c.Source, exclude); err != nil {
			return c, err
		}
	}
	if c.Since != "" && !slices.Contains([]string{"auto", "build-all", "scan-all", "plan", "test"}, c.Command) {
		return c, fmt.Errorf("input since applies to build-all, scan-all, plan and test, not %s: a publish covers every image", c.Command)
	}
	if c.Force = splitList(input("force")); len(c.Force) > 0 && !slices.Contains([]string{"auto", "publish-all", "promote"}, c.Command) {
		return c, fmt.Errorf("input force applies only to publish-all and promote, not %s", c.Command)
	}
	if c.RegistryTunnel != "" && !strings.HasPrefix(c.RegistryTunnel, "tcp://") {
		return c, fmt.Errorf("invalid registry-tunnel %q: want tcp://HOST:PORT, e.g. tcp://localhost:5000", c.RegistryTunnel)
	}
	if len(c.Records) > 0 && c.Command != "promote" {
		return c, fmt.Errorf("input records applies only to promote, not %s", c.Command)
	}
	for _, f := range c.Force {
		if f == "true" || f == "false" {
			return c, fmt.Errorf("input force names the images whose release tags may move, e.g. apiserver,driver; not %q", f)
		}
	}
	if c.Platforms = splitList(input("platforms")); len(c.Platforms) > 0 && !slices.Contains([]string{"auto", "build-all", "scan-all", "stage"}, c.Command) {
		return c, fmt.Errorf("input platforms applies only to build-all, scan-all, stage and auto on a change, not %s", c.Command)
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"latest", &c.Latest}, {"smoke", &c.Smoke}, {"dry-run", &c.DryRun}} {
		if *b.dst, err = parseBool(b.name, input(b.name)); err != nil {
			return c, err
		}
	}
	c.Concurrency = defaultConcurrency
	if s := input("concurrency"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return c, fmt.Errorf("invalid concurrency %q: want a whole number of at least 1", s)
		}
		c.Concurrency = n
	}
	if slices.Contains(publishing, c.Command) && (c.Username == "" || c.Password == "") {
		return c, fmt.Errorf("%s needs registry credentials: set the username and password inputs", c.Command)
	}
	if c.Command == "promote" && len(c.Records) == 0 && !c.Latest {
		return c, fmt.Errorf("promote needs the records input (the records.json of each stage job), or latest to retag a release")
	}
	return c, nil
}

// allImagesBut is the name of every image of the source tree at dir except
// the excluded ones, which may name any catalog image.
func allImagesBut(dir string, exclude []string) ([]string, error) {
	drop := map[string]bool{}
	for _, e := range exclude {
		img, err := catalog.Builtin().Lookup(e)
		if err != nil {
			return nil, fmt.Errorf("input exclude: %w", err)
		}
		drop[img.Name] = true
	}
	set, err := sourceImages(dir)
	if err != nil {
		return nil, fmt.Errorf("input exclude: %w", err)
	}
	var out []string
	for _, img := range set.All() {
		if !drop[img.Name] {
			out = append(out, img.Name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("input exclude leaves no image to build")
	}
	return out, nil
}

// sourceImages returns the image set of the source tree at dir: what its
// image-build workflow publishes or, without one (or when the source is not
// a local directory), the built-in list.
func sourceImages(dir string) (catalog.Set, error) {
	data, err := os.ReadFile(filepath.Join(dir, catalog.WorkflowPath))
	if errors.Is(err, fs.ErrNotExist) {
		return catalog.Builtin(), nil
	}
	if err != nil {
		return catalog.Set{}, fmt.Errorf("read the source's %s: %w", catalog.WorkflowPath, err)
	}
	return catalog.FromWorkflow(data)
}

func validCommand(c string) bool {
	for _, v := range Commands {
		if c == v {
			return true
		}
	}
	return false
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// splitList splits a comma-separated input, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseBool(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, fmt.Errorf("invalid %s %q: want true or false", name, v)
}

// versionRE is a release version, X.Y.Z or X.Y.Z-PRERELEASE, as the tag
// rules of internal/tags accept it.
var versionRE = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)` +
	`(-(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?$`)

// commitRE is a full lowercase commit id.
var commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Version is what the event builds: "master", a release "X.Y.Z", or "" for
// any other ref (pull requests, other branches).
type Version struct {
	Value string
	// Notice is set when the tag needed fixing, e.g. a dropped leading v.
	Notice string
}

// resolveVersion maps GITHUB_REF to the version the kfp module builds.
func resolveVersion(ref string) (Version, error) {
	switch {
	case ref == "refs/heads/master":
		return Version{Value: "master"}, nil
	case strings.HasPrefix(ref, "refs/tags/"):
		tag := strings.TrimPrefix(ref, "refs/tags/")
		if versionRE.MatchString(tag) {
			return Version{Value: tag}, nil
		}
		if strings.HasPrefix(tag, "v") && versionRE.MatchString(tag[1:]) {
			return Version{Value: tag[1:], Notice: fmt.Sprintf("tag %s has a leading v: building it as version %s", tag, tag[1:])}, nil
		}
		return Version{}, fmt.Errorf("tag %q is not a release version: want X.Y.Z or X.Y.Z-PRERELEASE (optionally with a leading v), e.g. 2.5.0", tag)
	}
	return Version{}, nil
}

// daggerArgs is the argv of the dagger call of one step, without the
// program name. It never contains the password: the calls that need it read
// it from PasswordEnv. changedFile, when set, lists the changed files
// (--changed).
func daggerArgs(c Config, s Step, commit string, epoch int64, resultsDir, changedFile string) []string {
	args := []string{"--progress=plain", "call"}
	if c.Module != "" {
		args = append(args, "-m", c.Module)
	}
	args = append(args, "--source="+c.Source, "--commit="+commit)
	if s.Version != "" {
		args = append(args, "--version="+s.Version)
	}
	if changedFile != "" {
		args = append(args, "--changed="+changedFile)
	}
	args = append(args, "--source-date-epoch="+strconv.FormatInt(epoch, 10))
	// The with-… functions set credentials and tools on the module before
	// the verb; the verb's own flags follow it.
	var chain, verb []string
	images := func() {
		if len(c.Images) > 0 {
			verb = append(verb, "--images="+strings.Join(c.Images, ","))
		}
	}
	platforms := func() {
		if len(c.Platforms) > 0 {
			verb = append(verb, "--platforms="+strings.Join(c.Platforms, ","))
		}
	}
	registry := func() { verb = append(verb, "--registry="+c.Registry) }
	credentials := func() {
		chain = append(chain, "with-registry-auth", "--address="+c.Registry, "--username="+c.Username, "--secret=env:"+PasswordEnv)
	}
	tunnel := func() {
		if c.RegistryTunnel != "" {
			chain = append(chain, "with-registry-tunnel", "--service="+c.RegistryTunnel)
		}
	}
	// kfp-release is built FROM a kfp-api-generator pushed first; that needs
	// a registry with credentials, so build-all and scan-all pass one only
	// when they have them.
	dependencyRegistry := func() {
		if c.Password != "" {
			credentials()
			registry()
		}
	}
	trivy := func() {
		if c.TrivyImage != "" {
			chain = append(chain, "with-trivy", "--image="+c.TrivyImage)
		}
	}
	// The key and its password reach dagger as Secrets read from the
	// child's environment, never as arguments. Trivy makes the SBOMs.
	signing := func() {
		if c.CosignImage != "" {
			chain = append(chain, "with-cosign", "--image="+c.CosignImage)
		}
		trivy()
		if c.SigningKey != "" {
			chain = append(chain, "with-signing-key", "--key=env:"+SigningKeyEnv)
			if c.SigningKeyPassword != "" {
				chain = append(chain, "--password=env:"+SigningKeyPasswordEnv)
			}
		}
	}
	concurrency := "--concurrency=" + strconv.Itoa(c.Concurrency)
	switch s.Command {
	case "test":
		verb = append(verb, "--component=all", concurrency, "--ignore-failures", "export", "--path="+resultsDir)
	case "build-all":
		verb = append(verb, "--format=json", concurrency)
		images()
		platforms()
		if s.Smoke {
			verb = append(verb, "--smoke")
		}
		dependencyRegistry()
	case "scan-all":
		verb = append(verb, "--fail-on-findings=false", concurrency)
		trivy()
		images()
		platforms()
		dependencyRegistry()
		verb = append(verb, "export", "--path="+c.ScanDir)
	case "plan":
		registry()
		verb = append(verb, "--format=text")
		images()
		if s.Latest {
			verb = append(verb, "--latest")
		}
	case "publish-all":
		registry()
		credentials()
		tunnel()
		signing()
		verb = append(verb, "--format=json")
		images()
		if s.Latest {
			verb = append(verb, "--latest")
		}
		if len(c.Force) > 0 {
			verb = append(verb, "--force="+strings.Join(c.Force, ","))
		}
		verb = append(verb, concurrency)
	case "stage":
		registry()
		credentials()
		tunnel()
		images()
		platforms()
		if s.Smoke {
			verb = append(verb, "--smoke")
		}
		verb = append(verb, concurrency, "export", "--path="+c.RecordsDir)
	case "promote":
		registry()
		credentials()
		tunnel()
		if len(c.Records) > 0 {
			// a retag adds no evidence; the smoke runs the evidence records
			// come from the records (stage with smoke)
			signing()
		}
		verb = append(verb, "--format=json")
		for _, r := range c.Records {
			verb = append(verb, "--records="+r)
		}
		if s.Latest {
			verb = append(verb, "--latest")
		}
		if len(c.Records) == 0 {
			images() // --latest without records retags these
		}
		if len(c.Force) > 0 {
			verb = append(verb, "--force="+strings.Join(c.Force, ","))
		}
	}
	args = append(append(args, chain...), s.Command)
	return append(args, verb...)
}
