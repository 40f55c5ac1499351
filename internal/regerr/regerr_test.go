package regerr

import (
	"errors"
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	for _, tc := range []struct {
		err  string
		kind Kind
		want string
	}{
		{`unexpected status from HEAD request to http://127.0.0.1:5000/v2/x/blobs/sha256:ab: 401 Unauthorized`, Unauthorized,
			`publish kfp-driver: registry 127.0.0.1:5000 refused the credentials for user "kfp" (401 Unauthorized)`},
		{`failed to do request: Head "https://127.0.0.1:1/v2/x/blobs/sha256:f6": dial tcp 127.0.0.1:1: connect: connection refused`, Unreachable,
			`publish kfp-driver: registry 127.0.0.1:5000 is unreachable (connection refused)`},
		{`unexpected status: 403 Forbidden`, Denied, `publish kfp-driver: registry 127.0.0.1:5000 denied access for user "kfp" (403)`},
		{`GET http://r/v2/x/manifests/2.0.0: MANIFEST_UNKNOWN: manifest unknown`, NotFound, `publish kfp-driver: not found in registry 127.0.0.1:5000`},
		{"something else\nsecond line", Other, `publish kfp-driver: something else`},
	} {
		err := Explain("publish kfp-driver", "127.0.0.1:5000", "kfp", errors.New(tc.err))
		if got := err.Error(); got != tc.want {
			t.Errorf("Explain(%q) = %q, want %q", tc.err, got, tc.want)
		}
		if !Is(err, tc.kind) {
			t.Errorf("Is(%q, %v) = false", tc.err, tc.kind)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("Explain(%q) is more than one line", tc.err)
		}
	}
	anon := Explain("publish kfp-driver", "127.0.0.1:5000", "", errors.New("401 Unauthorized"))
	if want := "publish kfp-driver: registry 127.0.0.1:5000 wants credentials (401 Unauthorized) and none were given for it: call with-registry-auth --address=127.0.0.1:5000 first"; anon.Error() != want {
		t.Errorf("without credentials: %q, want %q", anon, want)
	}
	if Explain("x", "r", "u", nil) != nil {
		t.Error("Explain(nil) != nil")
	}
}
