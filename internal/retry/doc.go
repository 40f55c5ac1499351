// Package retry retries registry operations that fail for reasons that pass:
// rate limits, overloaded or restarting registries, and connections dropped
// mid-transfer.
//
// A [Policy] waits between attempts with capped exponential backoff, takes a
// random part of each wait off (jitter) so that parallel pushes do not retry
// in lockstep, and gives up once the next wait would overrun its time budget.
// It retries only errors that [Transient] classifies as passing: an error that
// will fail the same way again (bad credentials, a missing repository, a
// registry that refuses connections) is returned at once, because retrying it
// only delays the message the user needs to see.
package retry
