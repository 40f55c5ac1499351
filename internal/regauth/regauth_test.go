package regauth

import "testing"

func TestHost(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"ghcr.io", "ghcr.io"},
		{"ghcr.io/kubeflow", "ghcr.io"},
		{"ghcr.io/kubeflow/kfp-driver:2.5.0", "ghcr.io"},
		{"ghcr.io/kubeflow/kfp-driver@sha256:" + sixtyFour, "ghcr.io"},
		{"localhost:5000", "localhost:5000"},
		{"127.0.0.1:43021/kfp-e2e/staging", "127.0.0.1:43021"},
		{" localhost:5000/kfp ", "localhost:5000"},
		{"docker.io", "index.docker.io"},
		{"docker.io/library/debian", "index.docker.io"},
		{"aquasec/trivy:0.74.0", "index.docker.io"},
		{"registry.example/Kubeflow/", "registry.example"},
	} {
		got, err := Host(c.in)
		if err != nil || got != c.want {
			t.Errorf("Host(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "  ", "not a host", "ghcr.io:port/x"} {
		if got, err := Host(bad); err == nil {
			t.Errorf("Host(%q) = %q, want an error", bad, got)
		}
	}
}

const sixtyFour = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
