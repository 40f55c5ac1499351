// Command devtool holds the small helpers hack/engine.sh needs that no Debian
// package provides: a bcrypt htpasswd line, a free loopback port, and OCI image
// assembly from root filesystem tarballs (pushed to a registry or written as an
// OCI layout for the engine's builtin content store).
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/bcrypt"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "htpasswd":
		err = htpasswd(os.Args[2:])
	case "free-port":
		err = freePort()
	case "image":
		err = image(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "devtool %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: devtool htpasswd --user U --password-file F
       devtool free-port
       devtool image --layer PLATFORM=TAR... [--env K=V] [--cmd ARG] [--workdir D]
                     (--push REF... | --oci-layout DIR [--digest-file F])`)
	os.Exit(2)
}

// htpasswd prints one bcrypt htpasswd line for the user and the password in a file.
func htpasswd(args []string) error {
	fs := flag.NewFlagSet("htpasswd", flag.ExitOnError)
	user := fs.String("user", "", "user name")
	pwFile := fs.String("password-file", "", "file holding the password")
	_ = fs.Parse(args)
	if *user == "" || *pwFile == "" {
		return errors.New("--user and --password-file are required")
	}
	pw, err := os.ReadFile(*pwFile)
	if err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(strings.TrimSpace(string(pw))), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	fmt.Printf("%s:%s\n", *user, hash)
	return nil
}

// freePort prints a TCP port on 127.0.0.1 that nothing listens on now.
func freePort() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Println(l.Addr().(*net.TCPAddr).Port)
	return nil
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// baseCreated is the creation time written into every assembled image, so the
// same root filesystems always give the same digests.
var baseCreated = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func image(args []string) error {
	fs := flag.NewFlagSet("image", flag.ExitOnError)
	var layers, envs, cmd, pushes multi
	fs.Var(&layers, "layer", "PLATFORM=TAR: an uncompressed rootfs tar layer for a platform (repeat, in order)")
	fs.Var(&envs, "env", "K=V environment variable (repeat)")
	fs.Var(&cmd, "cmd", "CMD argument (repeat)")
	fs.Var(&pushes, "push", "reference to push the image index to (repeat for more tags)")
	workdir := fs.String("workdir", "", "working directory")
	ociLayout := fs.String("oci-layout", "", "write a single-platform image to this OCI layout directory instead of pushing")
	digestFile := fs.String("digest-file", "", "with --oci-layout: write the manifest digest here")
	_ = fs.Parse(args)

	byPlatform := map[string][]string{}
	var order []string
	for _, l := range layers {
		p, path, ok := strings.Cut(l, "=")
		if !ok {
			return fmt.Errorf("--layer %q: want PLATFORM=TAR", l)
		}
		if _, seen := byPlatform[p]; !seen {
			order = append(order, p)
		}
		byPlatform[p] = append(byPlatform[p], path)
	}
	if len(order) == 0 {
		return errors.New("at least one --layer is required")
	}
	sort.Strings(order)

	images := map[string]v1.Image{}
	for _, p := range order {
		img, err := assemble(p, byPlatform[p], envs, cmd, *workdir)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		images[p] = img
	}

	if *ociLayout != "" {
		if len(order) != 1 {
			return errors.New("--oci-layout takes exactly one platform")
		}
		img := images[order[0]]
		lp, err := layout.Write(*ociLayout, empty.Index)
		if err != nil {
			return err
		}
		if err := lp.AppendImage(img); err != nil {
			return err
		}
		d, err := img.Digest()
		if err != nil {
			return err
		}
		fmt.Println(d)
		if *digestFile != "" {
			return os.WriteFile(*digestFile, []byte(d.String()+"\n"), 0o644)
		}
		return nil
	}

	if len(pushes) == 0 {
		return errors.New("one of --push or --oci-layout is required")
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range order {
		plat, err := v1.ParsePlatform(p)
		if err != nil {
			return err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        images[p],
			Descriptor: v1.Descriptor{Platform: plat},
		})
	}
	first, err := name.ParseReference(pushes[0], name.Insecure)
	if err != nil {
		return err
	}
	opts := []remote.Option{remote.WithAuth(authn.Anonymous), remote.WithJobs(4)}
	if err := remote.WriteIndex(first, idx, opts...); err != nil {
		return fmt.Errorf("push %s: %w", first, err)
	}
	d, err := idx.Digest()
	if err != nil {
		return err
	}
	for _, r := range pushes[1:] {
		tag, err := name.NewTag(r, name.Insecure)
		if err != nil {
			return err
		}
		if err := remote.Tag(tag, idx, opts...); err != nil {
			return fmt.Errorf("tag %s: %w", tag, err)
		}
	}
	w := bufio.NewWriter(os.Stdout)
	for _, r := range pushes {
		fmt.Fprintf(w, "%s@%s\n", r, d)
	}
	return w.Flush()
}

// assemble builds one OCI image for a platform from uncompressed tar layers.
func assemble(platform string, tars, envs, cmd []string, workdir string) (v1.Image, error) {
	plat, err := v1.ParsePlatform(platform)
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	for _, t := range tars {
		l, err := tarball.LayerFromFile(t, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", t, err)
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: l, MediaType: types.OCILayer})
		if err != nil {
			return nil, err
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = plat.OS, plat.Architecture, plat.Variant
	cf.Created = v1.Time{Time: baseCreated}
	cf.Config.Env = envs
	if len(cmd) > 0 {
		cf.Config.Cmd = cmd
	}
	cf.Config.WorkingDir = workdir
	return mutate.ConfigFile(img, cf)
}
