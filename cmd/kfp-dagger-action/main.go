// Command kfp-dagger-action is the entry point of kfp-dagger on CI: the
// GitHub Action at the repository root (action.yml) runs it, so does
// .gitlab-ci.yml, and kfp-dagger-ci.sh runs it for any other CI. It reads
// what happened (the event) and the inputs, decides the `dagger call`s of
// the kfp module, runs them, and writes the report and outputs where the CI
// reads them.
//
// The event decides, with the command input auto (the default); see decide:
//
//	pull request, merge request   test, build-all --smoke, scan-all of what
//	                              changed since the base; no credentials
//	push of master                publish-all master (stage, verify, promote)
//	push of a tag X.Y.Z           publish-all X.Y.Z
//	by hand on a tag, latest      promote --latest: a retag, no build
//	by hand on master or a tag    publish-all: finishes a release that
//	                              failed half way, keeping what is staged
//	anything else, deleted refs   refused, one line naming the event
//
// An explicit command (test, build-all, scan-all, plan, publish-all, stage,
// promote) runs as given, but never publishes for a change or for a ref that
// is neither master nor a release tag.
//
// Where the event comes from:
//
//	GitHub Actions  GITHUB_EVENT_NAME, GITHUB_REF, GITHUB_SHA and the webhook
//	                payload at GITHUB_EVENT_PATH; inputs in INPUT_<NAME>;
//	                outputs to GITHUB_OUTPUT, the report to GITHUB_STEP_SUMMARY
//	GitLab CI       (GITLAB_CI=true) CI_PIPELINE_SOURCE, CI_COMMIT_SHA,
//	                CI_COMMIT_TAG, CI_COMMIT_BRANCH and the merge-request
//	                variables; inputs in KFP_<NAME> (KFP_PASSWORD, ...)
//	any other CI    (KFP_CI_EVENT=push|change|dispatch) KFP_CI_REF,
//	                KFP_CI_SHA, KFP_CI_BASE; inputs in KFP_<NAME>
//
// Outside GitHub, single-line outputs go to KFP_OUTPUT_FILE as KFP_NAME=value
// lines (a GitLab dotenv report) and the report to KFP_SUMMARY_FILE.
//
// Inputs (see action.yml for each one's meaning): command, source,
// registry, username, password, images, exclude, platforms, smoke, latest,
// force, concurrency, since, registry-tunnel, records, records-dir,
// scan-dir, dry-run, module. The password reaches dagger only as the child environment
// variable KFP_REGISTRY_PASSWORD, which the module reads as a Secret.
//
// Outputs: report; for publishing runs version and, once they succeeded,
// tags; for what was published or promoted digests (JSON, image to index
// digest), subjects (JSON, for attestation jobs) and digest-<image>; for
// stage, records.
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

	app := New(WithAction(githubactions.New()))
	if err := app.Run(ctx); err != nil {
		stop()
		app.Fail(err)
		os.Exit(1)
	}
}
