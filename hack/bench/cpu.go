package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the times in /proc/<pid>/stat (USER_HZ, 100 on Linux
// whatever the kernel's HZ).
const userHZ = 100

// daemon is a long-running process whose CPU time a phase is charged with.
type daemon struct {
	name string
	pid  int
}

// findDaemon reads a PID file and checks that the process it names runs an
// executable called exeBase.
func findDaemon(name, pidFile, exeBase string) (daemon, error) {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return daemon{}, fmt.Errorf("%s: %w", name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return daemon{}, fmt.Errorf("%s: PID file %s: %w", name, pidFile, err)
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return daemon{}, fmt.Errorf("%s: pid %d is not running: %w", name, pid, err)
	}
	if filepath.Base(exe) != exeBase {
		return daemon{}, fmt.Errorf("%s: pid %d runs %s, not %s", name, pid, exe, exeBase)
	}
	return daemon{name: name, pid: pid}, nil
}

// cpu returns the daemon's CPU time so far: user and system time of all its
// threads (utime, stime) plus that of every child it has waited for (cutime,
// cstime): runc, the build containers' processes, CNI plugins. Fields 14-17
// of /proc/<pid>/stat.
func (d daemon) cpu() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", d.pid))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", d.name, err)
	}
	s := string(b)
	// comm (field 2) may hold spaces; the fields after it follow the last ')'.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("%s: unexpected /proc/%d/stat", d.name, d.pid)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 15 {
		return 0, fmt.Errorf("%s: short /proc/%d/stat", d.name, d.pid)
	}
	var ticks int64
	for _, k := range []int{11, 12, 13, 14} { // fields 14, 15, 16, 17
		n, err := strconv.ParseInt(f[k], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: /proc/%d/stat field %d: %w", d.name, d.pid, k+3, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// loadAverage returns the first three fields of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return strings.TrimSpace(string(b))
	}
	return strings.Join(f[:3], " ")
}
