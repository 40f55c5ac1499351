package main

import (
	"fmt"
	"slices"

	"github.com/kfp-dagger/kfp-dagger/internal/tags"
)

// Step is one dagger call of a run.
type Step struct {
	// Command is the kfp function: test, build-all, scan-all, plan,
	// publish-all, stage or promote.
	Command string
	// Version is master, a release X.Y.Z, or "" for the module's default.
	Version string
	// Latest also tags the release as latest (publish-all, promote).
	Latest bool
	// Since is a git ref: only what changed since its merge base is selected.
	Since string
	// Smoke runs each built image's --version (build-all).
	Smoke bool
	// Notice is worth telling the user, e.g. a leading v dropped from a tag.
	Notice string
}

// publishing are the commands that write to the registry.
var publishing = []string{"publish-all", "stage", "promote"}

// decide turns the event and the inputs into the dagger calls of the run,
// or the one line that says why the event runs nothing. With the command
// auto the event chooses:
//
//   - a change (pull request, merge request): test, build-all with smoke and
//     scan-all of what changed since the base; no registry credentials;
//   - a push of master or of a release tag: publish-all of that version;
//   - a run by hand on a release tag: promote latest (a retag, no build)
//     when latest is set, else publish-all, which keeps what an earlier run
//     staged and finishes the release;
//   - any other event, and any push that deletes its ref: refused.
//
// An explicit command runs as given, but never publishes for a change and
// never publishes a ref that is neither master nor a release tag.
func decide(ev Event, c Config) ([]Step, error) {
	if ev.Deleted {
		return nil, fmt.Errorf("%s deletes %s: nothing to build or publish", ev.describe(), ev.Ref)
	}
	if ev.Kind == KindOther {
		return nil, fmt.Errorf("%s does not run kfp-dagger: it runs on %s", ev.describe(), ev.accepted())
	}
	publishes := slices.Contains(publishing, c.Command) || (c.Command == "auto" && ev.Kind != KindChange)
	if ev.Kind == KindChange {
		switch {
		case publishes:
			return nil, fmt.Errorf("%s never publishes: %s runs on a push of master or a release tag, or by hand", ev.describe(), c.Command)
		case c.Password != "":
			return nil, fmt.Errorf("%s gets no registry credentials: remove the password input from this job (a pull request's code must not reach them)", ev.describe())
		case c.Latest:
			return nil, fmt.Errorf("%s cannot tag latest: latest moves only for a release", ev.describe())
		}
		since := c.Since
		if since == "" {
			since = ev.Base
		}
		if c.Command == "auto" {
			return []Step{
				{Command: "test", Since: since},
				{Command: "build-all", Since: since, Smoke: true},
				{Command: "scan-all", Since: since},
			}, nil
		}
		return []Step{{Command: c.Command, Since: since, Smoke: c.Smoke}}, nil
	}

	if c.Command == "auto" && len(c.Platforms) > 0 {
		return nil, fmt.Errorf("input platforms applies to the builds of a change, not to the %s: a publish covers every platform (use command stage per architecture)", ev.describe())
	}
	v, err := resolveVersion(ev.Ref)
	if publishes {
		if err != nil {
			return nil, err
		}
		if v.Value == "" {
			return nil, fmt.Errorf("%s of %s: kfp-dagger publishes only refs/heads/master and release tags refs/tags/X.Y.Z", ev.describe(), ev.Ref)
		}
	} else if err != nil {
		v = Version{} // test, build-all, plan, scan-all of another tag: the module's default version
	}
	if c.Latest && (v.Value == "" || v.Value == "master") {
		return nil, fmt.Errorf("latest names a release: %s is not a release tag", ev.Ref)
	}
	if c.Command != "auto" {
		return []Step{{Command: c.Command, Version: v.Value, Latest: c.Latest, Since: c.Since, Smoke: c.Smoke, Notice: v.Notice}}, nil
	}
	if ev.Kind == KindDispatch && c.Latest {
		// The release's tags exist: latest is a retag of what X.Y.Z holds.
		return []Step{{Command: "promote", Version: v.Value, Latest: true, Notice: v.Notice}}, nil
	}
	return []Step{{Command: "publish-all", Version: v.Value, Latest: c.Latest, Notice: v.Notice}}, nil
}

// stepTags is every tag a publishing step moves when it succeeds, by KFP's
// rules: master and the commit for master; X.Y.Z, the commit and, when
// asked, latest for a release; only latest for promote --latest without
// records. Nil for a step that publishes nothing.
func stepTags(s Step, commit string, records bool) ([]string, error) {
	switch {
	case !slices.Contains(publishing, s.Command) || s.Command == "stage":
		return nil, nil
	case s.Command == "promote" && !records:
		return []string{"latest"}, nil
	}
	t := tags.Trigger{Kind: tags.Release, Version: s.Version, Latest: s.Latest, Commit: commit}
	if s.Version == "master" {
		t = tags.Trigger{Kind: tags.Master, Commit: commit}
	}
	return tags.Compute(t)
}
