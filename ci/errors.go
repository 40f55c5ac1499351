package main

import (
	"errors"

	"github.com/kfp-dagger/kfp-dagger/ci/internal/dagger"
	"github.com/kfp-dagger/kfp-dagger/internal/oneline"
)

// oneLine turns an engine error into the line worth showing (see package
// oneline).
func oneLine(err error) error {
	if err == nil {
		return nil
	}
	var ex *dagger.ExecError
	if errors.As(err, &ex) {
		return errors.New(oneline.Exec(ex.Cmd, ex.ExitCode, ex.Stdout, ex.Stderr))
	}
	return errors.New(oneline.Message(err.Error()))
}
