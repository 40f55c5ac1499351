package release

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kfp-dagger/kfp-dagger/internal/retry"
)

// RetryPolicy says how [Remote] retries a registry call. It extends
// internal/retry's Policy, whose classifier ([retry.Transient]) decides what
// is retried, with what a registry client needs on top: a deadline per
// attempt, Retry-After, and a budget that only starts when something fails.
type RetryPolicy struct {
	// Backoff gives the waits between attempts (initial, maximum,
	// multiplier, jitter) and the Budget: no wait is started that would end
	// more than Budget after the first failure. The time before the first
	// failure does not count, so a slow but healthy call keeps its retries.
	Backoff retry.Policy
	// AttemptTimeout bounds every attempt; an attempt that runs out of it
	// (a registry that accepts and never answers) fails with a transient
	// error and is retried.
	AttemptTimeout time.Duration
	// MaxAttempts, when positive, caps the attempts of one call.
	MaxAttempts int

	// Test seams; nil means the real clock and randomness.
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
	rand  func() float64
}

// DefaultAttemptTimeout is the deadline of one registry call attempt in
// [DefaultRetryPolicy].
const DefaultAttemptTimeout = 60 * time.Second

// DefaultRetryPolicy returns internal/retry's default backoff (0.5s doubling
// to 8s, three minutes of budget) with a 60-second deadline per attempt.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{Backoff: retry.DefaultPolicy(), AttemptTimeout: DefaultAttemptTimeout}
}

// Validate returns an error if the policy cannot be used.
func (p RetryPolicy) Validate() error {
	if err := p.Backoff.Validate(); err != nil {
		return err
	}
	if p.AttemptTimeout <= 0 {
		return fmt.Errorf("invalid retry policy: attempt timeout %s must be positive", p.AttemptTimeout)
	}
	if p.MaxAttempts < 0 {
		return fmt.Errorf("invalid retry policy: maximum attempts %d must not be negative", p.MaxAttempts)
	}
	return nil
}

// errAttemptDeadline is the cause of an attempt's context when its own
// deadline, not the caller's, ends it.
var errAttemptDeadline = fmt.Errorf("attempt deadline: %w", context.DeadlineExceeded)

// AttemptTimeoutError is an attempt that got no answer within the
// attempt deadline.
type AttemptTimeoutError struct {
	// Timeout is the attempt deadline.
	Timeout time.Duration
	// Err is what the attempt returned.
	Err error
}

// Error says how long the attempt waited and what it returned.
func (e *AttemptTimeoutError) Error() string {
	return fmt.Sprintf("no answer within the %s attempt deadline: %v", e.Timeout, e.Err)
}

// Unwrap returns what the attempt returned.
func (e *AttemptTimeoutError) Unwrap() error { return e.Err }

// attempt collects what the transport saw during one attempt.
type attempt struct {
	mu         sync.Mutex
	retryAfter time.Duration
}

type attemptKey struct{}

func (a *attempt) noteRetryAfter(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if d > a.retryAfter {
		a.retryAfter = d
	}
}

func (a *attempt) getRetryAfter() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.retryAfter
}

// do calls op until it succeeds, fails with an error that is not transient,
// the next wait would end past the budget (counted from the first
// failure), MaxAttempts is reached, or ctx is done. Every attempt gets its
// own deadline. After a 429 or 503 that carried Retry-After, the wait is at
// least what the registry asked for.
func (p RetryPolicy) do(ctx context.Context, op func(context.Context) error) (retry.Stats, error) {
	if err := p.Validate(); err != nil {
		return retry.Stats{}, err
	}
	now, sleep, random := p.now, p.sleep, p.rand
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = retry.SleepContext
	}
	if random == nil {
		random = rand.Float64
	}
	var st retry.Stats
	if err := ctx.Err(); err != nil {
		return st, err
	}
	start := now()
	var firstFailure time.Time
	wait := p.Backoff.Initial
	for {
		st.Attempts++
		at := &attempt{}
		actx, cancel := context.WithTimeoutCause(context.WithValue(ctx, attemptKey{}, at), p.AttemptTimeout, errAttemptDeadline)
		err := op(actx)
		timedOut := err != nil && ctx.Err() == nil && errors.Is(context.Cause(actx), errAttemptDeadline)
		cancel()
		t := now()
		st.Elapsed = t.Sub(start)
		if err == nil {
			return st, nil
		}
		if timedOut {
			err = &AttemptTimeoutError{Timeout: p.AttemptTimeout, Err: err}
		}
		if cerr := ctx.Err(); cerr != nil {
			return st, fmt.Errorf("stopped after %s: %w; last error: %w", st, cerr, err)
		}
		// A cancellation that is not the caller's comes from another
		// call sharing this one's connection setup (see Remote): it passes.
		foreignCancel := errors.Is(err, context.Canceled)
		if !timedOut && !foreignCancel && !retry.Transient(err) {
			if st.Attempts == 1 {
				return st, err
			}
			return st, fmt.Errorf("failed after %s: %w", st, err)
		}
		if firstFailure.IsZero() {
			firstFailure = t
		}
		if p.MaxAttempts > 0 && st.Attempts >= p.MaxAttempts {
			return st, fmt.Errorf("gave up after %s (at most %d): %w", st, p.MaxAttempts, err)
		}
		d := time.Duration(float64(wait) * (1 - p.Backoff.Jitter*random()))
		ra := at.getRetryAfter()
		if ra > d {
			d = ra
		}
		if used := t.Sub(firstFailure); used+d > p.Backoff.Budget {
			if ra > 0 && d == ra {
				return st, fmt.Errorf("gave up after %s: the registry asked to wait %s (Retry-After), past the %s left of the %s retry budget: %w",
					st, ra, (p.Backoff.Budget - used).Round(time.Millisecond), p.Backoff.Budget, err)
			}
			return st, fmt.Errorf("gave up after %s: %w", st, err)
		}
		if serr := sleep(ctx, d); serr != nil {
			st.Elapsed = now().Sub(start)
			return st, fmt.Errorf("stopped after %s: %w; last error: %w", st, serr, err)
		}
		st.Retries++
		if next := float64(wait) * p.Backoff.Multiplier; next < float64(p.Backoff.Max) {
			wait = time.Duration(next)
		} else {
			wait = p.Backoff.Max
		}
	}
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
// Anything else, and a date in the past, is no delay.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		switch {
		case n <= 0:
			return 0
		case n > int64(24*time.Hour/time.Second):
			return 24 * time.Hour // past any budget; avoids overflow
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// retryAfterTransport notes the Retry-After of 429 and 503 responses in
// the attempt of the request's context.
type retryAfterTransport struct {
	inner http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *retryAfterTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.inner.RoundTrip(req)
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if at, ok := req.Context().Value(attemptKey{}).(*attempt); ok {
			at.noteRetryAfter(parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()))
		}
	}
	return resp, err
}
