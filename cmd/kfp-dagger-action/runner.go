package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"time"
)

// Runner runs one external command. env is the complete environment of the
// child process.
type Runner interface {
	Run(ctx context.Context, name string, args []string, env []string, stdout, stderr io.Writer) error
}

// ExecRunner runs commands with os/exec in the current working directory.
// When ctx is cancelled the child gets SIGINT, so dagger can end its session,
// and is killed after WaitDelay.
type ExecRunner struct {
	// WaitDelay is how long a cancelled child may take to exit; 0 means 30s.
	WaitDelay time.Duration
}

// Run implements Runner.
func (r ExecRunner) Run(ctx context.Context, name string, args []string, env []string, stdout, stderr io.Writer) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Stdin = nil
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = r.WaitDelay
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 30 * time.Second
	}
	return cmd.Run()
}
