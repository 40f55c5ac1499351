package fanout

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestValidateConcurrency(t *testing.T) {
	tests := []struct {
		c   int
		err string
	}{
		{c: 1},
		{c: 16},
		{c: 0, err: "invalid concurrency 0: must be at least 1"},
		{c: -3, err: "invalid concurrency -3: must be at least 1"},
	}
	for _, tt := range tests {
		err := ValidateConcurrency(tt.c)
		if got := fmt.Sprint(err); (err == nil && tt.err != "") || (err != nil && got != tt.err) {
			t.Errorf("ValidateConcurrency(%d) = %v, want %q", tt.c, err, tt.err)
		}
	}
}

func TestRunLimitsInFlight(t *testing.T) {
	tests := []struct {
		n, concurrency, wantPeak int
	}{
		{n: 20, concurrency: 1, wantPeak: 1},
		{n: 20, concurrency: 3, wantPeak: 3},
		{n: 5, concurrency: 8, wantPeak: 5},
		{n: 4, concurrency: 0, wantPeak: 1}, // below 1 is treated as 1
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("n=%d,limit=%d", tt.n, tt.concurrency), func(t *testing.T) {
			var inFlight, peak, calls atomic.Int32
			// Tasks wait until the limit is reached (or all tasks run), so
			// the peak is reached for sure rather than by luck of timing.
			full := make(chan struct{})
			var once sync.Once
			errs := Run(context.Background(), tt.n, tt.concurrency, false, func(ctx context.Context, i int) error {
				calls.Add(1)
				now := inFlight.Add(1)
				defer inFlight.Add(-1)
				for {
					p := peak.Load()
					if now <= p || peak.CompareAndSwap(p, now) {
						break
					}
				}
				if int(now) == tt.wantPeak {
					once.Do(func() { close(full) })
				}
				select {
				case <-full:
				case <-time.After(5 * time.Second):
					return errors.New("the limit was never reached")
				}
				// Hold the slot a little, so that a broken limit would let
				// more tasks in and show in the peak.
				time.Sleep(time.Millisecond)
				return nil
			})
			if got := int(peak.Load()); got != tt.wantPeak {
				t.Errorf("peak in flight = %d, want %d", got, tt.wantPeak)
			}
			if int(calls.Load()) != tt.n || len(errs) != tt.n {
				t.Errorf("ran %d tasks and returned %d errors, want %d of each", calls.Load(), len(errs), tt.n)
			}
			for i, err := range errs {
				if err != nil {
					t.Errorf("task %d: %v", i, err)
				}
			}
		})
	}
}

func TestRunCollectsEveryError(t *testing.T) {
	var ran atomic.Int32
	errs := Run(context.Background(), 6, 2, false, func(ctx context.Context, i int) error {
		ran.Add(1)
		if ctx.Err() != nil {
			return fmt.Errorf("task %d saw a canceled context", i)
		}
		if i%2 == 1 {
			return fmt.Errorf("task %d failed", i)
		}
		return nil
	})
	if ran.Load() != 6 {
		t.Errorf("ran %d tasks, want all 6 despite failures", ran.Load())
	}
	want := []string{"<nil>", "task 1 failed", "<nil>", "task 3 failed", "<nil>", "task 5 failed"}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d", len(errs), len(want))
	}
	for i := range want {
		if got := fmt.Sprint(errs[i]); got != want[i] {
			t.Errorf("errs[%d] = %s, want %s", i, got, want[i])
		}
	}
}

func TestRunFailFast(t *testing.T) {
	boom := errors.New("boom")
	var started [5]atomic.Bool
	// With one slot, task 0 fails and nothing after it may start.
	errs := Run(context.Background(), 5, 1, true, func(ctx context.Context, i int) error {
		started[i].Store(true)
		if i == 0 {
			return boom
		}
		return nil
	})
	if !errors.Is(errs[0], boom) {
		t.Errorf("errs[0] = %v, want boom", errs[0])
	}
	for i := 1; i < 5; i++ {
		if started[i].Load() {
			t.Errorf("task %d started after task 0 failed", i)
		}
		if !errors.Is(errs[i], context.Canceled) || errs[i].Error() != "not started: context canceled" {
			t.Errorf("errs[%d] = %v, want not started: context canceled", i, errs[i])
		}
	}
}

func TestRunFailFastCancelsRunningTasks(t *testing.T) {
	boom := errors.New("boom")
	release := make(chan struct{})
	errs := Run(context.Background(), 3, 3, true, func(ctx context.Context, i int) error {
		if i == 0 {
			<-release // wait until the others are running
			return boom
		}
		if i == 2 {
			close(release)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("task %d: %w", i, ctx.Err())
		case <-time.After(5 * time.Second):
			return errors.New("context not canceled")
		}
	})
	if !errors.Is(errs[0], boom) {
		t.Errorf("errs[0] = %v, want boom", errs[0])
	}
	for i := 1; i < 3; i++ {
		if !errors.Is(errs[i], context.Canceled) {
			t.Errorf("errs[%d] = %v, want it to wrap context.Canceled", i, errs[i])
		}
	}
}

func TestRunParentCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var ran atomic.Int32
	errs := Run(ctx, 3, 2, false, func(ctx context.Context, i int) error {
		ran.Add(1)
		return nil
	})
	if ran.Load() != 0 {
		t.Errorf("ran %d tasks with a canceled context, want 0", ran.Load())
	}
	for i, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("errs[%d] = %v, want it to wrap context.Canceled", i, err)
		}
	}
}

func TestRunNoTasks(t *testing.T) {
	for _, n := range []int{0, -1} {
		if errs := Run(context.Background(), n, 2, true, func(context.Context, int) error {
			t.Error("fn called with no tasks")
			return nil
		}); len(errs) != 0 {
			t.Errorf("Run(n=%d) returned %d errors, want 0", n, len(errs))
		}
	}
}
