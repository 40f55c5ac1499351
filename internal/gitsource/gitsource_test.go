package gitsource

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

func files(m map[string]string) ReadFile {
	return func(p string) (string, error) {
		if s, ok := m[p]; ok {
			return s, nil
		}
		return "", fmt.Errorf("open %s: %w", p, fs.ErrNotExist)
	}
}

const (
	shaA = "0123456789abcdef0123456789abcdef01234567"
	shaB = "89abcdef0123456789abcdef0123456789abcdef"
)

func TestHead(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   map[string]string
		want    string
		wantErr string
	}{
		{"detached", map[string]string{"HEAD": shaA + "\n"}, shaA, ""},
		{"loose ref", map[string]string{"HEAD": "ref: refs/heads/main\n", "refs/heads/main": shaB + "\n"}, shaB, ""},
		{"packed ref", map[string]string{
			"HEAD":        "ref: refs/heads/master\n",
			"packed-refs": "# pack-refs with: peeled fully-peeled sorted\n" + shaA + " refs/heads/other\n" + shaB + " refs/heads/master\n",
		}, shaB, ""},
		{"no HEAD", map[string]string{}, "", "read .git/HEAD"},
		{"garbage HEAD", map[string]string{"HEAD": "hello"}, "", "unexpected contents"},
		{"short sha in ref", map[string]string{"HEAD": "ref: refs/heads/main", "refs/heads/main": "abc"}, "", "not a commit id"},
		{"ref nowhere", map[string]string{"HEAD": "ref: refs/heads/main", "packed-refs": shaA + " refs/heads/x\n"}, "", "not in packed-refs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Head(files(tc.files))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Head() error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Head() = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestIsCommit(t *testing.T) {
	for s, want := range map[string]bool{shaA: true, strings.ToUpper(shaA): false, shaA[:39]: false, "": false} {
		if got := IsCommit(s); got != want {
			t.Errorf("IsCommit(%q) = %v, want %v", s, got, want)
		}
	}
}
