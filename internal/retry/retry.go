package retry

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Policy says how often and for how long [Policy.Do] retries an operation.
// The zero Policy is invalid; start from [DefaultPolicy].
type Policy struct {
	// Initial is the wait before the first retry.
	Initial time.Duration
	// Max caps every wait.
	Max time.Duration
	// Multiplier grows the wait after each retry; at least 1.
	Multiplier float64
	// Jitter is the largest fraction of each wait, from 0 to 1, that is
	// taken off at random.
	Jitter float64
	// Budget bounds the time Do takes, waits included: Do never starts a
	// wait that would end past it. It does not cut a running attempt short;
	// give the operation a deadline for that.
	Budget time.Duration

	// Test seams; nil means the real clock and randomness.
	sleep func(context.Context, time.Duration) error
	now   func() time.Time
	rand  func() float64 // in [0, 1)
}

// Stats describes what [Policy.Do] did.
type Stats struct {
	// Attempts counts calls of the operation.
	Attempts int
	// Retries counts the attempts after the first.
	Retries int
	// Elapsed is the time Do took, waits included.
	Elapsed time.Duration
}

// DefaultPolicy returns the policy for registry operations: waits of 0.5s,
// 1s, 2s, 4s, then 8s, each up to a fifth shorter at random, for at most
// three minutes.
func DefaultPolicy() Policy {
	return Policy{
		Initial:    500 * time.Millisecond,
		Max:        8 * time.Second,
		Multiplier: 2,
		Jitter:     0.2,
		Budget:     3 * time.Minute,
	}
}

// Validate returns an error if the policy cannot be used.
func (p Policy) Validate() error {
	switch {
	case p.Initial <= 0:
		return fmt.Errorf("invalid retry policy: initial wait %s must be positive", p.Initial)
	case p.Max < p.Initial:
		return fmt.Errorf("invalid retry policy: maximum wait %s is shorter than initial wait %s", p.Max, p.Initial)
	case !(p.Multiplier >= 1) || math.IsInf(p.Multiplier, 0):
		return fmt.Errorf("invalid retry policy: multiplier %v must be a number of at least 1", p.Multiplier)
	case !(p.Jitter >= 0 && p.Jitter <= 1):
		return fmt.Errorf("invalid retry policy: jitter %v must be between 0 and 1", p.Jitter)
	case p.Budget <= 0:
		return fmt.Errorf("invalid retry policy: budget %s must be positive", p.Budget)
	}
	return nil
}

// Do calls op until it succeeds, fails with an error that is not
// [Transient], the next wait would overrun the budget, or ctx is done.
//
// It returns nil on success, and otherwise the last error of op: unchanged
// when op was called once, else wrapped with the number of attempts and the
// time taken. When ctx ends Do, the error wraps both ctx.Err() and the last
// error of op; when ctx is done before the first attempt, Do returns
// ctx.Err() without calling op.
func (p Policy) Do(ctx context.Context, op func(context.Context) error) (Stats, error) {
	if err := p.Validate(); err != nil {
		return Stats{}, err
	}
	sleep, now, random := p.sleep, p.now, p.rand
	if sleep == nil {
		sleep = SleepContext
	}
	if now == nil {
		now = time.Now
	}
	if random == nil {
		random = rand.Float64
	}

	start := now()
	var st Stats
	if err := ctx.Err(); err != nil {
		return st, err
	}
	wait := p.Initial
	for {
		st.Attempts++
		err := op(ctx)
		st.Elapsed = now().Sub(start)
		if err == nil {
			return st, nil
		}
		// When ctx is done, op's error is likely ctx's; it is not op's
		// fault and it would not pass.
		if cerr := ctx.Err(); cerr != nil {
			return st, fmt.Errorf("stopped after %s: %w; last error: %w", st, cerr, err)
		}
		if !Transient(err) {
			if st.Attempts == 1 {
				return st, err
			}
			return st, fmt.Errorf("failed after %s: %w", st, err)
		}

		d := time.Duration(float64(wait) * (1 - p.Jitter*random()))
		if st.Elapsed+d > p.Budget {
			return st, fmt.Errorf("gave up after %s: %w", st, err)
		}
		if serr := sleep(ctx, d); serr != nil {
			st.Elapsed = now().Sub(start)
			return st, fmt.Errorf("stopped after %s: %w; last error: %w", st, serr, err)
		}
		st.Retries++
		if next := float64(wait) * p.Multiplier; next < float64(p.Max) {
			wait = time.Duration(next)
		} else {
			wait = p.Max
		}
	}
}

// String says "N attempts in D" ("1 attempt in D"), with D rounded to what
// a person reads.
func (st Stats) String() string {
	d := st.Elapsed
	switch {
	case d < time.Second:
		d = d.Round(time.Millisecond)
	case d < time.Minute:
		d = d.Round(100 * time.Millisecond)
	default:
		d = d.Round(time.Second)
	}
	noun := "attempts"
	if st.Attempts == 1 {
		noun = "attempt"
	}
	return fmt.Sprintf("%d %s in %s", st.Attempts, noun, d)
}

// SleepContext waits for d or until ctx is done, whichever comes first,
// and returns ctx's error in the second case.
func SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
