package release

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// fakeClock moves only when the code under test sleeps or an operation
// takes time.
type fakeClock struct {
	t      time.Time
	sleeps []time.Duration
}

func (c *fakeClock) now() time.Time { return c.t }

func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return nil
}

func withClock(p RetryPolicy) (RetryPolicy, *fakeClock) {
	c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p.now, p.sleep, p.rand = c.now, c.sleep, func() float64 { return 0 }
	return p, c
}

var unavailable = &transport.Error{StatusCode: http.StatusServiceUnavailable}

func TestRetryBudgetStartsAtFirstFailure(t *testing.T) {
	p := DefaultRetryPolicy()
	p.Backoff.Initial, p.Backoff.Max, p.Backoff.Multiplier, p.Backoff.Budget = 100*time.Millisecond, time.Second, 2, time.Second
	p, clock := withClock(p)

	// A first attempt that takes 10s, five times the budget, and fails
	// still gets its retries: the budget starts at the failure.
	calls := 0
	st, err := p.do(context.Background(), func(context.Context) error {
		calls++
		if calls == 1 {
			clock.t = clock.t.Add(10 * time.Second)
			return unavailable
		}
		return nil
	})
	if err != nil || st.Attempts != 2 || st.Retries != 1 {
		t.Errorf("do = %+v, %v; want success on the second attempt", st, err)
	}

	// Failing at once every time: waits of 100, 200 and 400ms use 700ms of
	// the 1s budget; 800ms more would end past it.
	p, clock = withClock(p)
	st, err = p.do(context.Background(), func(context.Context) error { return unavailable })
	if want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}; !slices.Equal(clock.sleeps, want) {
		t.Errorf("slept %v, want %v", clock.sleeps, want)
	}
	if st.Attempts != 4 || err == nil || !strings.HasPrefix(err.Error(), "gave up after 4 attempts in 700ms") || !errors.Is(err, unavailable) {
		t.Errorf("do = %+v, %v", st, err)
	}
}

func TestRetryPermanentAndCanceled(t *testing.T) {
	p, clock := withClock(fastPolicy())
	denied := &transport.Error{StatusCode: http.StatusUnauthorized}
	st, err := p.do(context.Background(), func(context.Context) error { return denied })
	if st.Attempts != 1 || err != denied || len(clock.sleeps) != 0 {
		t.Errorf("do(401) = %+v, %v; want one attempt and the error unchanged", st, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	st, err = p.do(ctx, func(context.Context) error { cancel(); return unavailable })
	if st.Attempts != 1 || !errors.Is(err, context.Canceled) || !errors.Is(err, unavailable) {
		t.Errorf("do(canceled) = %+v, %v", st, err)
	}
	p.MaxAttempts = 3
	st, err = p.do(context.Background(), func(context.Context) error { return unavailable })
	if st.Attempts != 3 || err == nil || !strings.Contains(err.Error(), "(at most 3)") {
		t.Errorf("do(max 3) = %+v, %v", st, err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		v    string
		want time.Duration
	}{
		{"1", time.Second},
		{" 120 ", 2 * time.Minute},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"0", 0},
		{"-3", 0},
		{"soon", 0},
		{"", 0},
		{"99999999999", 24 * time.Hour},
	} {
		if got := parseRetryAfter(tt.v, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.v, got, tt.want)
		}
	}
}

// TestRemoteRetriesAreOurs checks that go-containerregistry does not retry
// on its own: the registry sees exactly the attempts Remote counts, and
// only the repository that failed is charged.
func TestRemoteRetriesAreOurs(t *testing.T) {
	var served atomic.Int64
	reg := newTestRegistry(t, onManifestsOf("kfp-driver", func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	rec := reg.stageIndex(t, "kfp-launcher", commitA, "2.5.0", []string{"linux/amd64"})
	p := fastPolicy()
	p.Backoff.Budget = 150 * time.Millisecond
	r := newTestRemote(t, WithRetryPolicy(p))
	ref, _ := name.ParseReference(reg.repo("kfp-driver") + ":2.5.0")
	_, err := r.Get(context.Background(), ref)
	if err == nil || !strings.Contains(err.Error(), "gave up after") {
		t.Fatalf("Get = %v, want it to give up", err)
	}
	retries := r.Retries(reg.repo("kfp-driver"))
	if retries < 2 || int64(retries+1) != served.Load() {
		t.Errorf("Remote counted %d retries; the registry served %d manifest requests (want retries+1)", retries, served.Load())
	}
	if _, err := Verify(context.Background(), r, rec, Expect{Platforms: []string{"linux/amd64"}}); err != nil {
		t.Fatal(err)
	}
	if n := r.Retries(reg.repo("kfp-launcher")); n != 0 {
		t.Errorf("kfp-launcher charged %d retries, want 0", n)
	}
}

// onManifestsOf answers manifest requests of image with fail.
func onManifestsOf(image string, fail http.HandlerFunc) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/"+image+"/manifests/") {
				fail(w, r)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

// flaky fails a share of all requests: 503, 429 with Retry-After: 1, or a
// connection reset.
type flaky struct {
	mu                 sync.Mutex
	rng                *rand.Rand
	rate               float64
	total              int
	n503, n429, resets int
}

func (f *flaky) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.total++
		fail, kind := f.rng.Float64() < f.rate, f.rng.IntN(3)
		if fail {
			switch kind {
			case 0:
				f.n503++
			case 1:
				f.n429++
			case 2:
				f.resets++
			}
		}
		f.mu.Unlock()
		if !fail {
			h.ServeHTTP(w, r)
			return
		}
		switch kind {
		case 0:
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
		case 1:
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		case 2:
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				panic(err)
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // close with RST: connection reset by peer
			}
			conn.Close()
		}
	})
}

func (f *flaky) counts() (total, n503, n429, resets int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.total, f.n503, f.n429, f.resets
}

func TestRemoteFlakyRegistry(t *testing.T) {
	f := &flaky{rng: rand.New(rand.NewPCG(7, 30)), rate: 0.3}
	var on atomic.Bool
	reg := newTestRegistry(t, func(h http.Handler) http.Handler {
		fh := f.wrap(h)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if on.Load() {
				fh.ServeHTTP(w, r)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	rec := reg.stage(t, "kfp-driver", commitA, "2.5.0", both)
	p := fastPolicy()
	p.Backoff.Budget = 20 * time.Second
	r := newTestRemote(t, WithRetryPolicy(p))
	ctx := context.Background()

	on.Store(true)
	start := time.Now()
	d, err := AssembleIndex(ctx, r, rec)
	if err != nil {
		t.Fatal(err)
	}
	rec.Index = d
	res, err := Verify(ctx, r, rec, Expect{Platforms: both})
	if err != nil || !res.OK() {
		t.Fatalf("Verify = %v, %v", res.Err(), err)
	}
	plan, err := Plan([]Record{rec}, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Promote(ctx, r, plan, nil); err != nil {
		t.Fatal(err)
	}
	on.Store(false)
	elapsed := time.Since(start)

	for _, w := range plan {
		if got := reg.holds(t, "kfp-driver", w.Tag); got != d {
			t.Errorf("%s holds %s, want %s", w.Tag, got, d)
		}
	}
	total, n503, n429, resets := f.counts()
	retries := r.Retries(rec.Repository)
	t.Logf("%d requests, %d failed (%d 503, %d 429, %d resets); %d retries in %s", total, n503+n429+resets, n503, n429, resets, retries, elapsed)
	if n503+n429+resets == 0 {
		t.Fatal("no request failed: the test proves nothing")
	}
	// Every 503 and 429 fails one attempt, which is retried; a reset may
	// instead be retried by net/http itself on a reused connection.
	if retries < n503+n429 || retries > n503+n429+resets {
		t.Errorf("%d retries counted, want between %d and %d", retries, n503+n429, n503+n429+resets)
	}
	if elapsed < time.Duration(n429)*time.Second {
		t.Errorf("took %s with %d 429s asking for 1s each: Retry-After not honoured", elapsed, n429)
	}
}

func TestRemoteHangingRegistry(t *testing.T) {
	done := make(chan struct{})
	reg := newTestRegistry(t, func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select { // accept and never answer
			case <-r.Context().Done():
			case <-done:
			}
		})
	})
	t.Cleanup(func() { close(done) }) // before the servers close
	ref, _ := name.ParseReference(reg.repo("kfp-driver") + ":2.5.0")
	const deadline = 150 * time.Millisecond

	t.Run("max attempts", func(t *testing.T) {
		p := fastPolicy()
		p.AttemptTimeout, p.MaxAttempts = deadline, 3
		r := newTestRemote(t, WithRetryPolicy(p))
		start := time.Now()
		_, err := r.Get(context.Background(), ref)
		elapsed := time.Since(start)
		if err == nil {
			t.Fatal("Get succeeded against a registry that never answers")
		}
		// 3 attempts of 150ms, waits of 5 and 10ms
		if limit := 3*deadline + 15*time.Millisecond + 500*time.Millisecond; elapsed < 3*deadline || elapsed > limit {
			t.Errorf("failed after %s, want between %s and %s", elapsed, 3*deadline, limit)
		}
		for _, w := range []string{reg.host, "3 attempts", "no answer within the 150ms attempt deadline"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not mention %q", err, w)
			}
		}
		var ate *AttemptTimeoutError
		if !errors.As(err, &ate) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v: want an AttemptTimeoutError wrapping DeadlineExceeded", err)
		}
		oneLineMessage(t, err)
		if n := r.Retries(reg.repo("kfp-driver")); n != 2 {
			t.Errorf("%d retries, want 2", n)
		}
	})

	t.Run("budget", func(t *testing.T) {
		p := fastPolicy()
		p.AttemptTimeout, p.Backoff.Budget = deadline, 300*time.Millisecond
		r := newTestRemote(t, WithRetryPolicy(p))
		start := time.Now()
		_, err := r.Get(context.Background(), ref)
		elapsed := time.Since(start)
		attempts := r.Retries(reg.repo("kfp-driver")) + 1
		if err == nil || !strings.Contains(err.Error(), reg.host) {
			t.Fatalf("Get = %v, want an error naming %s", err, reg.host)
		}
		if limit := time.Duration(attempts)*deadline + p.Backoff.Budget + 500*time.Millisecond; elapsed > limit || attempts < 2 {
			t.Errorf("%d attempts in %s, want at least 2 within %s", attempts, elapsed, limit)
		}
	})
}

func TestRemoteRetryAfter(t *testing.T) {
	var first atomic.Bool
	first.Store(true)
	reg := newTestRegistry(t, onManifestsOf("kfp-driver", func(w http.ResponseWriter, r *http.Request) {
		if first.Swap(false) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	ref, _ := name.ParseReference(reg.repo("kfp-driver") + ":2.5.0")
	r := newTestRemote(t)
	start := time.Now()
	_, err := r.Get(context.Background(), ref)
	elapsed := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("Get = %v, want the 404 of the second attempt", err)
	}
	if elapsed < time.Second {
		t.Errorf("retried after %s, before the 1s the registry asked for", elapsed)
	}
	if n := r.Retries(reg.repo("kfp-driver")); n != 1 {
		t.Errorf("%d retries, want 1", n)
	}

	t.Run("past the budget", func(t *testing.T) {
		reg := newTestRegistry(t, onManifestsOf("kfp-driver", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
		ref, _ := name.ParseReference(reg.repo("kfp-driver") + ":2.5.0")
		r := newTestRemote(t) // 2s budget
		start := time.Now()
		_, err := r.Get(context.Background(), ref)
		if err == nil || !strings.Contains(err.Error(), "asked to wait 30s (Retry-After)") {
			t.Errorf("Get = %v, want it to give up on a Retry-After past the budget", err)
		}
		if time.Since(start) > time.Second {
			t.Errorf("took %s: waited for a retry it would never make", time.Since(start))
		}
	})
}

// TestRemoteConnectionReset resets the first connection of a manifest GET
// and of a manifest PUT. Without keep-alive net/http cannot retry them
// itself, so both are retried, and counted, by Remote.
func TestRemoteConnectionReset(t *testing.T) {
	var resetGet, resetPut atomic.Bool
	resetGet.Store(true)
	resetPut.Store(true)
	reg := newTestRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/manifests/") &&
				(r.Method == http.MethodGet && resetGet.Swap(false) || r.Method == http.MethodPut && resetPut.Swap(false)) {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err != nil {
					panic(err)
				}
				_ = conn.(*net.TCPConn).SetLinger(0)
				conn.Close()
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	rec := reg.stage(t, "kfp-driver", commitA, "2.5.0", []string{"linux/amd64"})
	r := newTestRemote(t, WithTransport(&http.Transport{DisableKeepAlives: true}))
	d, err := AssembleIndex(context.Background(), r, rec) // GETs the manifest, PUTs the index
	if err != nil {
		t.Fatal(err)
	}
	stagingTag, _ := IndexStagingTag(commitA, "2.5.0")
	if got := reg.holds(t, "kfp-driver", stagingTag); got != d {
		t.Errorf("%s holds %s, want %s", stagingTag, got, d)
	}
	if resetGet.Load() || resetPut.Load() {
		t.Fatal("a reset was not served")
	}
	if n := r.Retries(rec.Repository); n != 2 {
		t.Errorf("%d retries, want 2 (one per reset)", n)
	}
}
