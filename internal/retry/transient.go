package retry

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Permanent marks err as not worth retrying, whatever it says: [Transient]
// reports false for it and everything that wraps it. The result has err's
// message and unwraps to err. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Transient reports whether err is likely to pass if the operation is tried
// again shortly.
//
// Transient are:
//   - HTTP 408, 429 and 500, 502, 503, 504: the registry is rate limiting,
//     overloaded or restarting, whether the status arrives as a
//     go-containerregistry *transport.Error or only in an error's text, as it
//     does from docker and buildkit;
//   - a connection reset or broken mid-transfer (ECONNRESET, EPIPE, EOF), and
//     timeouts (i/o, TLS handshake, response headers, or a per-attempt
//     context deadline): the network or a proxy dropped one request.
//
// Not transient, so reported at once:
//   - errors marked with [Permanent];
//   - HTTP 401 and 403, "unauthorized", "denied", "authentication required":
//     credentials do not fix themselves;
//   - HTTP 404, NAME_UNKNOWN, MANIFEST_UNKNOWN: the repository or tag is
//     missing;
//   - a refused connection: nothing listens at that address, most likely a
//     wrong host or port or a local registry that was not started, and minutes
//     of retries would only hide that;
//   - context.Canceled, and everything not listed above (DNS failures, bad
//     certificates, invalid manifests): failing fast with the real error beats
//     retrying what is probably a mistake.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	var perm *permanentError
	if errors.As(err, &perm) || errors.Is(err, context.Canceled) {
		return false
	}

	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode != 0 {
		return transientStatus(terr.StatusCode)
	}

	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return false
	case errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, context.DeadlineExceeded):
		return true
	}
	if nerr := net.Error(nil); errors.As(err, &nerr) && nerr.Timeout() {
		return true
	}

	return transientText(err.Error())
}

// transientStatus reports whether an HTTP status is worth retrying.
func transientStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// statusRE finds an HTTP status code written as a number after "status",
// "status code" or "HTTP", e.g. "unexpected status code 502".
var statusRE = regexp.MustCompile(`(?i)\b(?:status(?:\s+code)?|http(?:/[0-9.]+)?)\s*[:=]?\s*([1-5][0-9]{2})\b`)

var (
	// permanentText marks errors that retrying will not fix. It is
	// checked first, so "denied ... timeout" is permanent.
	permanentText = []string{
		"connection refused",
		"unauthorized",
		"authentication required",
		"denied",
		"forbidden",
		"name_unknown",
		"manifest_unknown",
		"not found",
	}
	// transientPhrases mark errors that pass: HTTP status texts as Go and
	// registries print them, and network failures.
	transientPhrases = []string{
		"too many requests",
		"toomanyrequests",
		"internal server error",
		"bad gateway",
		"service unavailable",
		"gateway timeout",
		"connection reset",
		"broken pipe",
		"unexpected eof",
		"i/o timeout",
		"tls handshake timeout",
		"timeout awaiting response headers",
		"client.timeout exceeded",
		"context deadline exceeded",
		"server sent goaway",
	}
)

// transientText classifies an error by its message alone, for errors that
// crossed a process boundary (docker, buildkit, Dagger) as text.
func transientText(msg string) bool {
	if ms := statusRE.FindAllStringSubmatch(msg, -1); ms != nil {
		for _, m := range ms {
			if code, _ := strconv.Atoi(m[1]); transientStatus(code) {
				return true
			}
		}
		return false
	}
	lower := strings.ToLower(msg)
	for _, s := range permanentText {
		if strings.Contains(lower, s) {
			return false
		}
	}
	for _, s := range transientPhrases {
		if strings.Contains(lower, s) {
			return true
		}
	}
	// A transfer cut short often surfaces as a bare EOF at the end of a
	// chain of contexts: "Put https://...: EOF".
	return lower == "eof" || strings.HasSuffix(lower, ": eof")
}
