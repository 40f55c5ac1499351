// Package util parses the schedules of ScheduledWorkflow resources: a
// periodic schedule ("@every 1h30m", "@hourly", "@daily", "@weekly") or a
// five-field cron expression (minute hour day-of-month month day-of-week)
// whose fields are "*", "*/N", "N", "A-B" or comma lists of those.
package util

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrEmptySchedule is returned for an empty or blank schedule.
var ErrEmptySchedule = errors.New("schedule is empty")

// Schedule computes the next run time after a given time.
type Schedule interface {
	Next(after time.Time) time.Time
}

// Periodic runs every Interval, aligned to the Unix epoch.
type Periodic struct{ Interval time.Duration }

// Next implements Schedule.
func (p Periodic) Next(after time.Time) time.Time {
	return after.Truncate(p.Interval).Add(p.Interval)
}

// Cron is a parsed five-field cron expression.
type Cron struct {
	minute, hour, dom, month, dow [64]bool
}

var fieldRanges = [5]struct {
	name     string
	min, max int
}{{"minute", 0, 59}, {"hour", 0, 23}, {"day-of-month", 1, 31}, {"month", 1, 12}, {"day-of-week", 0, 6}}

// ParseSchedule parses a periodic or cron schedule.
func ParseSchedule(spec string) (Schedule, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, ErrEmptySchedule
	}
	switch spec {
	case "@hourly":
		return Periodic{time.Hour}, nil
	case "@daily":
		return Periodic{24 * time.Hour}, nil
	case "@weekly":
		return Periodic{7 * 24 * time.Hour}, nil
	}
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", spec, err)
		}
		if d < time.Second {
			return nil, fmt.Errorf("schedule %q: interval must be at least 1s", spec)
		}
		return Periodic{d}, nil
	}
	fields := strings.Fields(spec)
	if len(fields) != 5 {
		return nil, fmt.Errorf("schedule %q: want 5 cron fields, got %d", spec, len(fields))
	}
	var c Cron
	sets := [5]*[64]bool{&c.minute, &c.hour, &c.dom, &c.month, &c.dow}
	for i, f := range fields {
		if err := parseField(f, fieldRanges[i].min, fieldRanges[i].max, sets[i]); err != nil {
			return nil, fmt.Errorf("schedule %q: %s: %w", spec, fieldRanges[i].name, err)
		}
	}
	return &c, nil
}

func parseField(field string, lo, hi int, set *[64]bool) error {
	for _, part := range strings.Split(field, ",") {
		step := 1
		if base, s, ok := strings.Cut(part, "/"); ok {
			n, err := strconv.Atoi(s)
			if err != nil || n <= 0 {
				return fmt.Errorf("bad step %q", s)
			}
			part, step = base, n
		}
		from, to := lo, hi
		if part != "*" {
			a, b, isRange := strings.Cut(part, "-")
			var err error
			if from, err = strconv.Atoi(a); err != nil {
				return fmt.Errorf("bad value %q", a)
			}
			to = from
			if isRange {
				if to, err = strconv.Atoi(b); err != nil {
					return fmt.Errorf("bad value %q", b)
				}
			}
		}
		if from < lo || to > hi || from > to {
			return fmt.Errorf("%q out of range %d-%d", part, lo, hi)
		}
		for v := from; v <= to; v += step {
			set[v] = true
		}
	}
	return nil
}

// Next implements Schedule: the first whole minute after `after` that
// matches every field (searching at most about four years ahead).
func (c *Cron) Next(after time.Time) time.Time {
	t := after.Truncate(time.Minute).Add(time.Minute)
	for limit := t.AddDate(4, 0, 0); t.Before(limit); t = t.Add(time.Minute) {
		if c.month[int(t.Month())] && c.dom[t.Day()] && c.dow[int(t.Weekday())] &&
			c.hour[t.Hour()] && c.minute[t.Minute()] {
			return t
		}
	}
	return time.Time{}
}
