package util

import (
	"errors"
	"testing"
	"time"
)

var base = time.Date(2026, 8, 3, 10, 17, 30, 0, time.UTC) // a Monday

func TestParseScheduleRejectsEmpty(t *testing.T) {
	for _, spec := range []string{"", "   "} {
		if _, err := ParseSchedule(spec); !errors.Is(err, ErrEmptySchedule) {
			t.Errorf("ParseSchedule(%q) error = %v, want ErrEmptySchedule", spec, err)
		}
	}
}

func TestParseScheduleEvery(t *testing.T) {
	s, err := ParseSchedule("@every 15m")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Next(base), time.Date(2026, 8, 3, 10, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("Next = %v, want %v", got, want)
	}
	if _, err := ParseSchedule("@every 10ms"); err == nil {
		t.Fatal("sub-second intervals must be rejected")
	}
}

func TestCronNext(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want time.Time
	}{
		{"* * * * *", time.Date(2026, 8, 3, 10, 18, 0, 0, time.UTC)},
		{"*/15 * * * *", time.Date(2026, 8, 3, 10, 30, 0, 0, time.UTC)},
		{"0 9 * * *", time.Date(2026, 8, 4, 9, 0, 0, 0, time.UTC)},
		{"30 8 * * 6,0", time.Date(2026, 8, 8, 8, 30, 0, 0, time.UTC)},
		{"0 0 1 1-3 *", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		s, err := ParseSchedule(tc.spec)
		if err != nil {
			t.Fatalf("ParseSchedule(%q): %v", tc.spec, err)
		}
		if got := s.Next(base); !got.Equal(tc.want) {
			t.Errorf("%q: Next = %v, want %v", tc.spec, got, tc.want)
		}
	}
}

func TestParseScheduleRejectsBadCron(t *testing.T) {
	for _, spec := range []string{"* * * *", "60 * * * *", "*/0 * * * *", "a * * * *", "5-1 * * * *"} {
		if _, err := ParseSchedule(spec); err == nil {
			t.Errorf("ParseSchedule(%q) succeeded, want an error", spec)
		}
	}
}
