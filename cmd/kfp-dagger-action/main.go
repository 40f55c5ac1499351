// Command kfp-dagger-action is the thin GitHub Actions entry point of
// kfp-dagger: a workflow step runs it (go run ./cmd/kfp-dagger-action) with
// action inputs in INPUT_<NAME> variables, and it turns them and the event
// context into one `dagger call` of the kfp module.
//
// Inputs:
//
//	command      test, build-all, plan or publish-all (required)
//	registry     registry path to publish to (default ghcr.io/kubeflow)
//	username     registry user (default: GITHUB_ACTOR)
//	password     registry password or token; handed to dagger only as the
//	             child environment variable KFP_REGISTRY_PASSWORD
//	images       comma-separated image names or short names (default: all)
//	platforms    comma-separated platforms for build-all (default: all)
//	smoke        build-all: run each image's --version smoke check
//	latest       also tag a release as latest
//	force        publish-all: comma-separated images whose immutable tags
//	             (X.Y.Z, the commit) may move to this build
//	concurrency  how many images or test suites run at once (default 2)
//	source       KFP source tree (default .)
//	exclude      comma-separated images to leave out (instead of images)
//	module       dagger module (call -m); empty uses the module in the working directory
//	since        build-all, plan, test: a git ref (e.g. origin/master); only the
//	             images and test suites that the files changed since its merge
//	             base with HEAD reach are selected (needs the history:
//	             actions/checkout with fetch-depth: 0)
//
// The commit is GITHUB_SHA; the version is master for a push to
// refs/heads/master and X.Y.Z for a tag refs/tags/X.Y.Z (or vX.Y.Z);
// publish-all refuses any other ref. The source date epoch is the commit
// time of the checkout (git log -1 --format=%ct).
//
// Outputs: report (the Markdown report, also written to the step summary)
// and, for publish-all, version.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sethvargo/go-githubactions"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	action := githubactions.New()
	app := New(WithAction(action))
	if err := app.Run(ctx); err != nil {
		stop()
		action.Fatalf("%s", app.redact(oneLine(err.Error())))
	}
}
