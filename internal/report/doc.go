// Package report renders the outcome of a pipeline run, one result per
// image, as JSON for machines and as GitHub-flavoured Markdown for people
// (a job summary or a pull-request comment).
//
// A [Report] is plain data: the pipeline fills in an [ImageResult] per image
// as it goes and renders the report once at the end. [Report.Err] turns the
// failures into the single error the command exits with.
package report
