// Package workflowlint holds GitHub workflows and composite actions to the
// rules kfp-dagger publishes under, beyond what actionlint checks:
//
//   - every `uses:` of another repository is pinned by a full commit SHA,
//     with the version in a comment on the same line;
//   - every job of a workflow declares its permissions;
//   - no job of a workflow that runs for pull requests may write packages;
//   - `id-token: write` only on a job that signs (attests or runs cosign);
//   - no `${{ github.event.* }}` (or head_ref) expanded inside `run:`, where
//     a crafted title or branch name becomes shell code;
//   - actions/checkout with persist-credentials: false;
//   - no Go module cache in a job that may publish (writes packages).
//
// [Check] returns one [Problem] per broken rule, with its line.
package workflowlint
