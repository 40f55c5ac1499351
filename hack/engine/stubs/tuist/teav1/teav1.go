// Package teav1 is a compile-only stand-in for github.com/vito/tuist/teav1.
package teav1

import "github.com/vito/tuist"

type Wrap struct{ tuist.Compo }

func New(model any) *Wrap                { return &Wrap{} }
func (w *Wrap) Render(ctx tuist.Context) {}
func (w *Wrap) OnQuit(fn func())         {}
