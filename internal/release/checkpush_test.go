package release

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// basicAuth lets user "kfp" with password "right" do anything and user
// "reader" only read; anything else gets a 401 challenge. It records the
// upload requests it passes on.
type basicAuth struct {
	mu      sync.Mutex
	uploads []string // "POST" or "DELETE"
}

func (b *basicAuth) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pw, ok := r.BasicAuth()
		switch {
		case !ok || (user == "kfp" && pw != "right") || (user != "kfp" && user != "reader"):
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		case user == "reader" && r.Method != http.MethodGet && r.Method != http.MethodHead:
			http.Error(w, `{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`, http.StatusForbidden)
			return
		}
		if strings.Contains(r.URL.Path, "/blobs/uploads/") {
			b.mu.Lock()
			b.uploads = append(b.uploads, r.Method)
			b.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

func TestCheckPush(t *testing.T) {
	auth := &basicAuth{}
	reg := newTestRegistry(t, auth.wrap)
	repo, err := name.NewRepository(reg.repo("kfp-driver"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	if err := newTestRemote(t, WithBasicAuth("kfp", "right")).CheckPush(ctx, repo); err != nil {
		t.Fatalf("push check with good credentials: %v", err)
	}
	if got := strings.Join(auth.uploads, ","); got != "POST,DELETE" {
		t.Errorf("upload requests %q, want the upload started then cancelled (POST,DELETE)", got)
	}

	for _, c := range []struct {
		user, pw, want string
	}{
		{"kfp", "wrong", `refused the credentials for user "kfp"`},
		{"reader", "any", "denied"},
		{"", "", "check push access to " + repo.String()},
	} {
		err := newTestRemote(t, WithBasicAuth(c.user, c.pw)).CheckPush(ctx, repo)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("user %q: %v, want an error saying %q", c.user, err, c.want)
			continue
		}
		if c.pw != "" && strings.Contains(err.Error(), c.pw) {
			t.Errorf("user %q: the password is in the error %q", c.user, err)
		}
		oneLineMessage(t, err)
	}
}
