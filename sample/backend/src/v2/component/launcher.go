// Package component is the sample KFP v2 launcher: it copies itself into a
// shared volume (so user containers can run it) and runs a user command,
// recording the result as executor output.
package component

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// CopyExecutable copies the file at src to dst with mode 0755, atomically.
func CopyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".launcher-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// ExecutorOutput is what the launcher records about the user command.
type ExecutorOutput struct {
	Command    []string  `json:"command"`
	ExitCode   int       `json:"exitCode"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
}

// Execute runs command with the given stdout/stderr and returns its output
// record. A command that ran and failed is not an error: its exit code is
// in the record.
func Execute(ctx context.Context, command []string, stdout, stderr io.Writer) (*ExecutorOutput, error) {
	if len(command) == 0 {
		return nil, errors.New("no command to run")
	}
	out := &ExecutorOutput{Command: command, StartedAt: time.Now().UTC()}
	cmd := exec.CommandContext(ctx, command[0], command[1:]...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	out.FinishedAt = time.Now().UTC()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		out.ExitCode = exitErr.ExitCode()
	case err != nil:
		return nil, fmt.Errorf("run %q: %w", command[0], err)
	}
	return out, nil
}

// WriteOutput writes the record as JSON to path.
func WriteOutput(path string, out *ExecutorOutput) error {
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
