// Package release publishes a KFP release as one transaction: every image
// and platform is staged by digest, what the registry holds is verified, and
// only then are the tags users see promoted, by digest.
//
// The transaction has four steps, each a function of this package, and the
// Dagger module (ci/) only supplies the engine:
//
//  1. Stage. Each stage run (one engine, one architecture) builds its
//     platforms and pushes every platform manifest by digest under a staging
//     tag ([PlatformStagingTag]) that no release tag can ever equal, and
//     writes one [Record] per image: image, repository, version, commit,
//     source, the digest of each platform it pushed, labels and time.
//     Nothing a user pulls (X.Y.Z, master, latest, the commit tag) moves.
//  2. Merge and assemble. [Merge] joins the records of all stage runs into
//     one record per image and refuses anything that does not add up: two
//     commits or versions in one release, a platform the catalog wants that
//     no run staged, a platform two runs both claim, an image or platform the
//     catalog does not know. [AssembleIndex] then builds each image's OCI
//     image index from the platform manifests already in the registry (no
//     rebuild) and pushes it under the staging index tag ([IndexStagingTag]).
//  3. Verify. [Verify] reads each staged index back by digest and checks it
//     holds exactly the expected platforms, each the digest the record
//     staged, each labelled with the release's commit and version, and runs
//     the caller's smoke and scan [Check]s on every platform. It lists every
//     failure, not just the first.
//  4. Promote. [Plan] computes every tag write from internal/tags' rules,
//     immutable tags (X.Y.Z, the commit) of every image before any moving
//     tag (master, latest). [Promote] first reads what every tag holds now
//     ([Decide]: absent, the same digest, or another one) and writes nothing
//     at all if an immutable tag holds another build and the image is not
//     forced, or if any tag cannot be read. Only then does it write, by
//     digest, skipping the tags that already hold the right digest, so a
//     rerun after a partial promote finishes what is missing without force.
//     [PlanLatest] moves "latest" to what an immutable X.Y.Z tag holds: a
//     retag, never a rebuild.
//
// Every registry call goes through a [Registry]. [Remote] implements it with
// go-containerregistry and retries transient failures (429, 5xx, connections
// reset or dropped, timeouts, as internal/retry classifies them) under a
// [RetryPolicy]: capped exponential backoff with jitter, Retry-After honoured
// on 429 and 503, a time budget that starts at the first failure, and a
// deadline on every attempt, so a registry that accepts connections and never
// answers fails in bounded time with an error naming its host.
// go-containerregistry's own retries are switched off so that every retry is
// ours and counted per repository for the report.
//
// A tag is taken as absent only when the registry says so in a typed error
// (HTTP 404 carrying MANIFEST_UNKNOWN or NAME_UNKNOWN), never from an error's
// text: anything else (401, 5xx after the budget, a 404 from something that
// is not a registry) fails closed.
package release
