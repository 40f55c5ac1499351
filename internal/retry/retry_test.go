package retry

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// fakeClock is a clock that only moves when the code under test sleeps or an
// operation takes time.
type fakeClock struct {
	t      time.Time
	sleeps []time.Duration
}

func (c *fakeClock) now() time.Time { return c.t }

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return nil
}

// withFakes returns p wired to a fake clock and a fixed random number.
func withFakes(p Policy, r float64) (Policy, *fakeClock) {
	c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p.sleep, p.now = c.sleep, c.now
	p.rand = func() float64 { return r }
	return p, c
}

var (
	unavailable = &transport.Error{StatusCode: 503}
	denied      = &transport.Error{StatusCode: 403}
)

// failing returns an operation that fails with errs in turn, taking cost of
// fake time each call, and then succeeds.
func failing(c *fakeClock, cost time.Duration, errs ...error) (op func(context.Context) error, calls *int) {
	calls = new(int)
	return func(context.Context) error {
		*calls++
		c.t = c.t.Add(cost)
		if *calls <= len(errs) {
			return errs[*calls-1]
		}
		return nil
	}, calls
}

func TestDo(t *testing.T) {
	policy := Policy{Initial: time.Second, Max: 4 * time.Second, Multiplier: 2, Jitter: 0.5, Budget: 20 * time.Second}
	always := slices.Repeat([]error{unavailable}, 100)
	tests := []struct {
		name      string
		random    float64
		cost      time.Duration
		errs      []error
		wantStats Stats
		wantSleep []time.Duration
		wantErr   string
		wantIs    error
	}{
		{
			name:      "first try",
			wantStats: Stats{Attempts: 1},
		},
		{
			name:      "two transient failures",
			errs:      []error{unavailable, unavailable},
			wantStats: Stats{Attempts: 3, Retries: 2, Elapsed: 3 * time.Second},
			wantSleep: []time.Duration{1 * time.Second, 2 * time.Second},
		},
		{
			name:      "jitter shortens waits",
			random:    0.5, // takes a quarter off with Jitter 0.5
			errs:      []error{unavailable, unavailable},
			wantStats: Stats{Attempts: 3, Retries: 2, Elapsed: 2250 * time.Millisecond},
			wantSleep: []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond},
		},
		{
			name:      "waits are capped",
			errs:      []error{unavailable, unavailable, unavailable, unavailable, unavailable},
			wantStats: Stats{Attempts: 6, Retries: 5, Elapsed: 15 * time.Second},
			wantSleep: []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second},
		},
		{
			// Waits of 1+2+4+4+4+4 = 19s; another 4s would end at 23s,
			// past the 20s budget.
			name:      "budget stops retries before a wait would overrun it",
			errs:      always,
			wantStats: Stats{Attempts: 7, Retries: 6, Elapsed: 19 * time.Second},
			wantSleep: []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second},
			wantErr:   "gave up after 7 attempts in 19s: unexpected status code 503 Service Unavailable",
			wantIs:    unavailable,
		},
		{
			name:      "budget counts the time attempts take",
			cost:      3 * time.Second, // 3+1+3+2+3+4+3 = 19s; a 4s wait would end at 23s
			errs:      always,
			wantStats: Stats{Attempts: 4, Retries: 3, Elapsed: 19 * time.Second},
			wantSleep: []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second},
			wantErr:   "gave up after 4 attempts in 19s: unexpected status code 503 Service Unavailable",
			wantIs:    unavailable,
		},
		{
			name:      "permanent error is returned unchanged",
			errs:      []error{denied},
			wantStats: Stats{Attempts: 1},
			wantErr:   "unexpected status code 403 Forbidden",
			wantIs:    denied,
		},
		{
			name:      "permanent error after a retry",
			errs:      []error{unavailable, denied},
			wantStats: Stats{Attempts: 2, Retries: 1, Elapsed: time.Second},
			wantSleep: []time.Duration{time.Second},
			wantErr:   "failed after 2 attempts in 1s: unexpected status code 403 Forbidden",
			wantIs:    denied,
		},
		{
			name:      "marked permanent",
			errs:      []error{Permanent(unavailable)},
			wantStats: Stats{Attempts: 1},
			wantErr:   "unexpected status code 503 Service Unavailable",
			wantIs:    unavailable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, clock := withFakes(policy, tt.random)
			op, calls := failing(clock, tt.cost, tt.errs...)
			st, err := p.Do(context.Background(), op)
			if got := errString(err); got != tt.wantErr {
				t.Errorf("Do() error = %q, want %q", got, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Do() error %v does not wrap %v", err, tt.wantIs)
			}
			if st != tt.wantStats {
				t.Errorf("Do() stats = %+v, want %+v", st, tt.wantStats)
			}
			if *calls != st.Attempts {
				t.Errorf("op called %d times, stats say %d", *calls, st.Attempts)
			}
			if !slices.Equal(clock.sleeps, tt.wantSleep) {
				t.Errorf("slept %v, want %v", clock.sleeps, tt.wantSleep)
			}
			var slept time.Duration
			for _, d := range clock.sleeps {
				slept += d
			}
			if slept > p.Budget {
				t.Errorf("slept %s in all, past the budget %s", slept, p.Budget)
			}
		})
	}
}

func TestDoDefaultPolicyNeverSleepsPastBudget(t *testing.T) {
	for _, r := range []float64{0, 0.5, 0.999} {
		p, clock := withFakes(DefaultPolicy(), r)
		op, _ := failing(clock, 0, slices.Repeat([]error{unavailable}, 1000)...)
		st, err := p.Do(context.Background(), op)
		if err == nil {
			t.Fatalf("rand %v: Do() succeeded; want it to give up", r)
		}
		if st.Elapsed > p.Budget {
			t.Errorf("rand %v: Do() took %s, past the budget %s", r, st.Elapsed, p.Budget)
		}
		if next := p.Max - time.Duration(float64(p.Max)*p.Jitter*r); st.Elapsed+next <= p.Budget {
			t.Errorf("rand %v: Do() gave up after %s with room for another %s wait in %s", r, st.Elapsed, next, p.Budget)
		}
		for _, d := range clock.sleeps {
			if d > p.Max || d < time.Duration(float64(p.Initial)*(1-p.Jitter)) {
				t.Errorf("rand %v: slept %s, outside [%s·(1-jitter), %s]", r, d, p.Initial, p.Max)
			}
		}
	}
}

func TestDoContext(t *testing.T) {
	policy := Policy{Initial: time.Second, Max: time.Second, Multiplier: 1, Budget: time.Minute}

	t.Run("done before the first attempt", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		p, clock := withFakes(policy, 0)
		op, calls := failing(clock, 0)
		st, err := p.Do(ctx, op)
		if !errors.Is(err, context.Canceled) || *calls != 0 || st.Attempts != 0 {
			t.Errorf("Do() = %+v, %v after %d calls; want context.Canceled before any call", st, err, *calls)
		}
	})

	t.Run("canceled during an attempt", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		p, clock := withFakes(policy, 0)
		calls := 0
		st, err := p.Do(ctx, func(context.Context) error {
			calls++
			if calls == 2 {
				cancel()
			}
			return unavailable
		})
		const want = "stopped after 2 attempts in 1s: context canceled; last error: unexpected status code 503 Service Unavailable"
		if errString(err) != want {
			t.Errorf("Do() error = %q, want %q", errString(err), want)
		}
		if !errors.Is(err, context.Canceled) || !errors.Is(err, unavailable) {
			t.Errorf("Do() error %v does not wrap both context.Canceled and the last error", err)
		}
		if st.Attempts != 2 || len(clock.sleeps) != 1 {
			t.Errorf("Do() made %d attempts and %d sleeps, want 2 and 1", st.Attempts, len(clock.sleeps))
		}
	})

	t.Run("canceled during a wait", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		p, _ := withFakes(policy, 0)
		p.sleep = func(context.Context, time.Duration) error {
			cancel()
			return ctx.Err()
		}
		st, err := p.Do(ctx, func(context.Context) error { return unavailable })
		if !errors.Is(err, context.Canceled) || !errors.Is(err, unavailable) || st.Attempts != 1 || st.Retries != 0 {
			t.Errorf("Do() = %+v, %v; want 1 attempt and an error wrapping context.Canceled and the last error", st, err)
		}
	})

	t.Run("parent deadline is not retried", func(t *testing.T) {
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		p, _ := withFakes(policy, 0)
		// Do must not call op with a dead context, but if the deadline
		// passes during op, op's DeadlineExceeded is the parent's.
		st, err := p.Do(ctx, func(ctx context.Context) error { return ctx.Err() })
		if !errors.Is(err, context.DeadlineExceeded) || st.Attempts != 0 {
			t.Errorf("Do() = %+v, %v; want DeadlineExceeded and no attempt", st, err)
		}
		ctx2, cancel2 := context.WithCancel(context.Background())
		defer cancel2()
		st, err = p.Do(ctx2, func(context.Context) error {
			cancel2()
			return context.DeadlineExceeded
		})
		if st.Attempts != 1 || !errors.Is(err, context.Canceled) {
			t.Errorf("Do() = %+v, %v; want 1 attempt, stopped by the parent", st, err)
		}
	})

	t.Run("per-attempt deadline is retried", func(t *testing.T) {
		p, _ := withFakes(policy, 0)
		calls := 0
		st, err := p.Do(context.Background(), func(ctx context.Context) error {
			calls++
			if calls == 1 {
				actx, cancel := context.WithTimeout(ctx, 0)
				defer cancel()
				<-actx.Done()
				return actx.Err()
			}
			return nil
		})
		if err != nil || st.Attempts != 2 {
			t.Errorf("Do() = %+v, %v; want success on the second attempt", st, err)
		}
	})
}

func TestDoRealClock(t *testing.T) {
	p := Policy{Initial: time.Millisecond, Max: 2 * time.Millisecond, Multiplier: 2, Jitter: 0.5, Budget: time.Minute}
	calls := 0
	st, err := p.Do(context.Background(), func(context.Context) error {
		if calls++; calls < 3 {
			return unavailable
		}
		return nil
	})
	if err != nil || st.Attempts != 3 || st.Retries != 2 || st.Elapsed <= 0 {
		t.Errorf("Do() = %+v, %v; want success after 3 attempts", st, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	slow := Policy{Initial: time.Hour, Max: time.Hour, Multiplier: 1, Budget: 2 * time.Hour}
	start := time.Now()
	_, err = slow.Do(ctx, func(context.Context) error { return unavailable })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Do() error = %v, want it to wrap context.DeadlineExceeded", err)
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("Do() returned after %s; the context ended after 20ms", waited)
	}
}

func TestValidate(t *testing.T) {
	ok := DefaultPolicy()
	if err := ok.Validate(); err != nil {
		t.Fatalf("DefaultPolicy().Validate() = %v", err)
	}
	tests := []struct {
		name   string
		change func(*Policy)
		err    string
	}{
		{name: "zero initial", change: func(p *Policy) { p.Initial = 0 }, err: "invalid retry policy: initial wait 0s must be positive"},
		{name: "max below initial", change: func(p *Policy) { p.Max = 100 * time.Millisecond }, err: "invalid retry policy: maximum wait 100ms is shorter than initial wait 500ms"},
		{name: "shrinking", change: func(p *Policy) { p.Multiplier = 0.5 }, err: "invalid retry policy: multiplier 0.5 must be a number of at least 1"},
		{name: "jitter above 1", change: func(p *Policy) { p.Jitter = 1.5 }, err: "invalid retry policy: jitter 1.5 must be between 0 and 1"},
		{name: "negative jitter", change: func(p *Policy) { p.Jitter = -0.1 }, err: "invalid retry policy: jitter -0.1 must be between 0 and 1"},
		{name: "no budget", change: func(p *Policy) { p.Budget = 0 }, err: "invalid retry policy: budget 0s must be positive"},
	}
	for _, tt := range tests {
		p := DefaultPolicy()
		tt.change(&p)
		if got := errString(p.Validate()); got != tt.err {
			t.Errorf("%s: Validate() = %q, want %q", tt.name, got, tt.err)
		}
		calls := 0
		if _, err := p.Do(context.Background(), func(context.Context) error { calls++; return nil }); errString(err) != tt.err || calls != 0 {
			t.Errorf("%s: Do() = %v after %d calls; want the validation error and no call", tt.name, err, calls)
		}
	}
	if err := (Policy{}).Validate(); err == nil {
		t.Error("the zero Policy is valid; want an error")
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
