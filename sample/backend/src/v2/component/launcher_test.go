package component

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestCopyExecutable(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.WriteFile(src, []byte("#!/bin/sh\n"), 0o600)
	dst := filepath.Join(dir, "kfp-launcher", "launch")
	if err := CopyExecutable(src, dst); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o755 {
		t.Fatalf("mode %v, want 0755", st.Mode().Perm())
	}
}

func TestExecuteRecordsExitCode(t *testing.T) {
	var stdout bytes.Buffer
	out, err := Execute(context.Background(), []string{"sh", "-c", "echo hello; exit 3"}, &stdout, &stdout)
	if err != nil {
		t.Fatal(err)
	}
	if out.ExitCode != 3 || stdout.String() != "hello\n" {
		t.Fatalf("exit %d, stdout %q", out.ExitCode, stdout.String())
	}
	if _, err := Execute(context.Background(), nil, nil, nil); err == nil {
		t.Fatal("an empty command must be an error")
	}
	if _, err := Execute(context.Background(), []string{"/does/not/exist"}, nil, nil); err == nil {
		t.Fatal("a missing executable must be an error")
	}
}

func TestWriteOutput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out", "executor_output.json")
	if err := WriteOutput(path, &ExecutorOutput{Command: []string{"true"}}); err != nil {
		t.Fatal(err)
	}
	var got ExecutorOutput
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &got); err != nil || got.Command[0] != "true" {
		t.Fatalf("got %+v, %v", got, err)
	}
}
