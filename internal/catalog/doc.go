// Package catalog is the typed list of every container image that Kubeflow
// Pipelines (KFP) builds, and the set of them one KFP source tree builds.
//
// The catalog knows how to build each image: its Dockerfile and context, the
// build arguments KFP passes to it (see [Image.BuildArgValues]), the source
// paths that feed it (see [Set.Affected]) and the image it is built FROM. It
// is a Go literal rather than a file read at run time, so a typo in an image
// name is a compile-time or test-time failure, not a failed release. Its tests
// check it, entry by entry and in both directions, against
// testdata/kfp-images.json, which records what kubeflow/pipelines 2.17.0
// builds: thirteen published images and the two tool images of the release
// tooling.
//
// Which published images a tree publishes, and for which platforms, is up to
// the tree: a [Set] holds them. When the tree has [WorkflowPath], its image
// matrix decides ([FromWorkflow]), so a tree from after KFP dropped ML
// Metadata publishes eleven images and the set names the two it leaves out.
// A tree without that file gets the thirteen of KFP 2.17 ([Builtin]). The
// tool images are in every set.
package catalog
