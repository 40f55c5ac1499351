package fanout

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"
)

// ValidateConcurrency returns an error if c cannot be a concurrency limit.
// Check a user-supplied limit with it before calling [Run].
func ValidateConcurrency(c int) error {
	if c < 1 {
		return fmt.Errorf("invalid concurrency %d: must be at least 1", c)
	}
	return nil
}

// Run calls fn(ctx, i) for every i in [0, n), at most concurrency at a time,
// and returns the error of each call at its index: nil for success. It
// returns when every started call has returned.
//
// If failFast is false, every task runs whatever the others return. If it is
// true, the first failure cancels the context the other calls get, and tasks
// not started by then are not started: their error wraps context.Canceled.
// Either way, tasks not started when ctx is done get an error wrapping
// ctx.Err().
//
// Run does not fail on a concurrency below 1, which it treats as 1; callers
// check user input with [ValidateConcurrency] first.
func Run(ctx context.Context, n, concurrency int, failFast bool, fn func(ctx context.Context, i int) error) []error {
	errs := make([]error, max(n, 0))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(concurrency, 1))
	for i := range errs {
		// Go blocks until a slot is free; when a failure frees it, gctx
		// is already canceled, so the check below sees it.
		if gctx.Err() != nil {
			errs[i] = notStarted(gctx)
			continue
		}
		g.Go(func() error {
			if gctx.Err() != nil {
				errs[i] = notStarted(gctx)
				return nil
			}
			err := fn(gctx, i)
			errs[i] = err
			if failFast {
				return err
			}
			return nil
		})
	}
	_ = g.Wait() // every error is in errs
	return errs
}

func notStarted(ctx context.Context) error {
	return fmt.Errorf("not started: %w", ctx.Err())
}
