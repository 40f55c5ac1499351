package regerr

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is the class of a registry error.
type Kind int

// The classes of registry error, from the most specific.
const (
	Other        Kind = iota
	Unauthorized      // 401: wrong or missing credentials
	Denied            // 403: credentials accepted, access refused
	Unreachable       // nothing listens, or the host does not resolve
	NotFound          // the repository or tag does not exist
)

var patterns = []struct {
	kind Kind
	subs []string
}{
	{Unauthorized, []string{"401 unauthorized", "authentication required", "unauthorized:"}},
	{Denied, []string{"403 forbidden", "denied:", "requested access to the resource is denied"}},
	{Unreachable, []string{"connection refused", "no such host", "network is unreachable", "no route to host"}},
	{NotFound, []string{"404 not found", "not found", "manifest unknown", "name_unknown", "name unknown"}},
}

// Classify returns the class of err, judged from its text, since errors that
// cross the engine arrive as text.
func Classify(err error) Kind {
	if err == nil {
		return Other
	}
	s := strings.ToLower(err.Error())
	for _, p := range patterns {
		for _, sub := range p.subs {
			if strings.Contains(s, sub) {
				return p.kind
			}
		}
	}
	return Other
}

// Error is a registry error explained in one line; Unwrap gives the original.
type Error struct {
	Kind     Kind
	Op       string // e.g. "publish kfp-api-server"
	Registry string
	User     string
	Err      error
}

func (e *Error) Error() string {
	switch e.Kind {
	case Unauthorized:
		if e.User == "" {
			return fmt.Sprintf("%s: registry %s wants credentials (401 Unauthorized) and none were given for it: call with-registry-auth --address=%s first", e.Op, e.Registry, e.Registry)
		}
		return fmt.Sprintf("%s: registry %s refused the credentials for user %q (401 Unauthorized)", e.Op, e.Registry, e.User)
	case Denied:
		return fmt.Sprintf("%s: registry %s denied access for user %q (403)", e.Op, e.Registry, e.User)
	case Unreachable:
		return fmt.Sprintf("%s: registry %s is unreachable (%s)", e.Op, e.Registry, cause(e.Err))
	case NotFound:
		return fmt.Sprintf("%s: not found in registry %s", e.Op, e.Registry)
	}
	return fmt.Sprintf("%s: %s", e.Op, firstLine(e.Err))
}

func (e *Error) Unwrap() error { return e.Err }

// Explain wraps err as an *Error naming op, the registry and the user.
func Explain(op, registry, user string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: Classify(err), Op: op, Registry: registry, User: user, Err: err}
}

// Is reports whether err is a registry error of kind k.
func Is(err error, k Kind) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind == k
	}
	return Classify(err) == k
}

func cause(err error) string {
	s := strings.ToLower(err.Error())
	for _, c := range []string{"connection refused", "no such host", "network is unreachable", "no route to host"} {
		if strings.Contains(s, c) {
			return c
		}
	}
	return firstLine(err)
}

func firstLine(err error) string {
	s := strings.TrimSpace(err.Error())
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
