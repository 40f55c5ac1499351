package main

import (
	"fmt"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// Kind is what an event asks of kfp-dagger, whatever the CI calls it.
type Kind int

const (
	// KindOther is any event kfp-dagger does not run for.
	KindOther Kind = iota
	// KindPush is a push of a branch or tag: master and release tags publish.
	KindPush
	// KindChange is a proposed change (a GitHub pull request, a GitLab
	// merge request): test, build and scan, never push.
	KindChange
	// KindDispatch is a run started by hand: promote latest for a release,
	// or finish a release that failed half way.
	KindDispatch
)

// Event is what the CI says happened, in the terms decide uses. fromGitHub,
// fromGitLab and fromShell make one.
type Event struct {
	// CI is where the event came from: github, gitlab or shell.
	CI string
	// Name is the CI's own name of the event, e.g. pull_request_target or
	// merge_request_event; errors quote it.
	Name string
	Kind Kind
	// Ref is the full ref the run is for, e.g. refs/tags/2.5.0.
	Ref string
	// SHA is the full commit the run builds.
	SHA string
	// Deleted is set for a push that deletes its ref.
	Deleted bool
	// Base is, for a change, the commit or ref it is compared with: what
	// changed since its merge base selects the images and tests.
	Base string
	// Actor is who started the run; the default registry user.
	Actor string
}

// describe names the event for an error line, e.g. "GitHub event schedule".
func (e Event) describe() string {
	switch e.CI {
	case "github":
		return "GitHub event " + orDefault(e.Name, "(none: GITHUB_EVENT_NAME is empty)")
	case "gitlab":
		return "GitLab pipeline source " + orDefault(e.Name, "(none)")
	}
	return "event " + e.Name
}

// accepted says which events of the CI run kfp-dagger.
func (e Event) accepted() string {
	switch e.CI {
	case "github":
		return "push, pull_request and workflow_dispatch"
	case "gitlab":
		return "push, merge_request_event, web and api"
	}
	return "push, change and dispatch"
}

// fromGitHub reads the event from the GitHub Actions context: the event name,
// GITHUB_REF, GITHUB_SHA and the webhook payload at GITHUB_EVENT_PATH.
func fromGitHub(gh *githubactions.GitHubContext) Event {
	e := Event{CI: "github", Name: gh.EventName, Ref: gh.Ref, SHA: gh.SHA, Actor: gh.Actor}
	switch gh.EventName {
	case "push":
		e.Kind = KindPush
		e.Deleted, _ = gh.Event["deleted"].(bool)
	case "pull_request":
		e.Kind = KindChange
		// From a fork or not, a change runs the same way: without
		// credentials, so nothing needs to tell them apart.
		pr, _ := gh.Event["pull_request"].(map[string]any)
		e.Base = stringAt(pr, "base", "sha")
	case "workflow_dispatch":
		e.Kind = KindDispatch
	}
	return e
}

// stringAt is the string at a path of nested JSON objects, or "".
func stringAt(m map[string]any, path ...string) string {
	for i, k := range path {
		v, ok := m[k]
		if !ok {
			return ""
		}
		if i == len(path)-1 {
			s, _ := v.(string)
			return s
		}
		if m, ok = v.(map[string]any); !ok {
			return ""
		}
	}
	return ""
}

// fromGitLab maps GitLab CI's predefined variables to an event:
// CI_PIPELINE_SOURCE push (a branch or CI_COMMIT_TAG), merge_request_event
// (CI_MERGE_REQUEST_DIFF_BASE_SHA is the base), and web or api (a run
// started by hand).
func fromGitLab(getenv func(string) string) (Event, error) {
	e := Event{CI: "gitlab", Name: getenv("CI_PIPELINE_SOURCE"), SHA: getenv("CI_COMMIT_SHA"), Actor: getenv("GITLAB_USER_LOGIN")}
	if tag := getenv("CI_COMMIT_TAG"); tag != "" {
		e.Ref = "refs/tags/" + tag
	} else if b := getenv("CI_COMMIT_BRANCH"); b != "" {
		e.Ref = "refs/heads/" + b
	}
	switch e.Name {
	case "push":
		e.Kind = KindPush
	case "merge_request_event":
		e.Kind = KindChange
		e.Ref = "refs/heads/" + getenv("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
		e.Base = getenv("CI_MERGE_REQUEST_DIFF_BASE_SHA")
	case "web", "api":
		e.Kind = KindDispatch
	case "":
		return e, fmt.Errorf("CI_PIPELINE_SOURCE is empty: run this in a GitLab CI job")
	}
	if e.Kind != KindOther && e.Ref == "" {
		return e, fmt.Errorf("GitLab pipeline source %s without CI_COMMIT_TAG or CI_COMMIT_BRANCH: nothing says which ref to build", e.Name)
	}
	return e, nil
}

// fromShell reads the event of any other CI from KFP_CI_EVENT (push, change
// or dispatch), KFP_CI_REF (e.g. refs/heads/master), KFP_CI_SHA and, for a
// change, KFP_CI_BASE.
func fromShell(getenv func(string) string) (Event, error) {
	e := Event{CI: "shell", Name: getenv("KFP_CI_EVENT"), Ref: getenv("KFP_CI_REF"), SHA: getenv("KFP_CI_SHA"),
		Base: getenv("KFP_CI_BASE"), Actor: getenv("USER")}
	switch e.Name {
	case "push":
		e.Kind = KindPush
	case "change":
		e.Kind = KindChange
	case "dispatch":
		e.Kind = KindDispatch
	}
	if e.Kind != KindOther && !strings.HasPrefix(e.Ref, "refs/") {
		return e, fmt.Errorf("KFP_CI_REF %q is not a full ref: want e.g. refs/heads/master or refs/tags/2.5.0", e.Ref)
	}
	return e, nil
}
