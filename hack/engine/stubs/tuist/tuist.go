// Package tuist is a compile-only stand-in for github.com/vito/tuist (that module
// is not served by the module proxy here). It lets the dagger CLI build; the
// interactive TUI ("pretty" frontend, dagger shell) is inert with it, so run the
// CLI with --progress=plain.
package tuist

import (
	"io"

	uv "github.com/charmbracelet/ultraviolet"
)

type Context struct {
	Width  int
	Height int
}

func (c Context) Lines(lines ...string)   {}
func (c Context) Line(line string)        {}
func (c Context) ScreenHeight() int       { return c.Height }
func (c Context) Resize(w, h int) Context { return Context{Width: w, Height: h} }
func (c Context) SetFocus(comp Component) {}

type Component interface {
	Render(ctx Context)
}

type RenderResult struct{ Lines []string }

type Compo struct{}

func (c *Compo) Update()                                                     {}
func (c *Compo) RenderChild(ctx Context, child Component)                    {}
func (c *Compo) RenderChildResult(ctx Context, child Component) RenderResult { return RenderResult{} }
func (c *Compo) RenderChildInline(ctx Context, child Component) string       { return "" }

type Completion struct {
	Label       string
	Detail      string
	Description string
	Kind        string
	Value       string
}

type CompletionResult struct {
	Items       []Completion
	ReplaceFrom int
}

type Spinner struct {
	Compo
	Epoch any
}

func NewSpinner() *Spinner            { return &Spinner{} }
func (s *Spinner) Render(ctx Context) {}

type Container struct {
	Compo
	Children []Component
}

func (c *Container) Render(ctx Context)      {}
func (c *Container) AddChild(comp Component) { c.Children = append(c.Children, comp) }

type TextInput struct {
	Compo
	Prompt         string
	OnSubmit       func(ctx Context, value string) bool
	KeyInterceptor func(ctx Context, ev uv.KeyPressEvent) bool
	value          string
}

func NewTextInput(prompt string) *TextInput { return &TextInput{Prompt: prompt} }
func (t *TextInput) Render(ctx Context)     {}
func (t *TextInput) Value() string          { return t.value }
func (t *TextInput) SetValue(v string)      { t.value = v }
func (t *TextInput) InsertRune(r rune)      { t.value += string(r) }

type Interactive interface{}
type Focusable interface{}
type Dismounter interface{}
type Mounter interface{}
type Hoverable interface{}
type MouseEnabled interface{}

type MouseEvent struct {
	MouseEvent any
	Row        int
	Col        int
}

func (m MouseEvent) Mouse() uv.Mouse { return uv.Mouse{} }

type Terminal interface{}

func NewStdTerminal() Terminal { return nil }

type TUI struct{}

func New(t Terminal) *TUI                   { return &TUI{} }
func (t *TUI) SetFocus(c Component)         {}
func (t *TUI) AddChild(c Component)         {}
func (t *TUI) RemoveChild(c Component)      {}
func (t *TUI) SetShowHardwareCursor(b bool) {}
func (t *TUI) Start()                       {}
func (t *TUI) Stop()                        {}
func (t *TUI) SetDebugWriter(w io.Writer)   {}
func (t *TUI) RequestRender(force bool)     {}
func (t *TUI) RenderLines() []string        { return nil }
func (t *TUI) Dispatch(fn func())           { fn() }
func (t *TUI) Exec(fn func(in io.Reader, out io.Writer, errOut io.Writer) error) error {
	return fn(nil, io.Discard, io.Discard)
}

type SizeValue interface{}
type SizeAbs int

type Anchor int

const AnchorTopRight Anchor = 1

type OverlayMargin struct{ Top, Right, Bottom, Left int }

type OverlayOptions struct {
	Width  SizeValue
	Anchor Anchor
	Margin OverlayMargin
}

type OverlayHandle struct{}

func (o *OverlayHandle) Remove() {}

func (t *TUI) ShowOverlay(c Component, o *OverlayOptions) *OverlayHandle { return &OverlayHandle{} }

type CompletionMenu struct{ Compo }

func NewCompletionMenu(input *TextInput, f func(input string, cursorPos int) CompletionResult) *CompletionMenu {
	return &CompletionMenu{}
}
func (m *CompletionMenu) Render(ctx Context)                                   {}
func (m *CompletionMenu) HandleKeyPress(ctx Context, ev uv.KeyPressEvent) bool { return false }
