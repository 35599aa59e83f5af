package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's fixed settings.
const (
	// binaryPath is where naas is in the image, and its entrypoint.
	binaryPath = "/naas"
	// uid and gid run naas: not root, and the "nonroot" user of distroless images, so that volume permissions
	// set up for those fit.
	uid, gid = 65532, 65532
	// workDir is the working directory, owned by that user: naas serve's default --data-dir, .naas, lands in it.
	workDir = "/var/lib/naas"
)

// options are the inputs of one image build.
type options struct {
	out, pkg, ldflags, arch             string
	version, revision, source, licenses string
	caBundle                            string
}

// build compiles the binary statically for linux/arch and writes the image as an OCI layout tar to o.out.
func build(ctx context.Context, o options) error {
	tmp, err := os.MkdirTemp("", "naas-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "naas")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w "+o.ldflags, "-o", bin, o.pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+o.arch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s for linux/%s: %w", o.pkg, o.arch, err)
	}
	img, err := image(bin, o)
	if err != nil {
		return err
	}
	dir := filepath.Join(tmp, "layout")
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), mutate.IndexAddendum{
		Add: img,
		Descriptor: v1.Descriptor{Annotations: map[string]string{
			"org.opencontainers.image.ref.name": o.version, // What `skopeo copy oci-archive:FILE` and podman load tag.
		}},
	})
	if _, err := layout.Write(dir, idx); err != nil {
		return fmt.Errorf("write the OCI layout: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	return tarDir(dir, o.out)
}

// image returns the image of the binary at bin: one layer over nothing, no shell.
func image(bin string, o options) (v1.Image, error) {
	files, err := rootfs(bin, o.caBundle)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(files)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("make the layer: %w", err)
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, MediaType: types.OCILayer,
		History: v1.History{CreatedBy: "hack/image: naas " + o.version, Comment: "static naas binary"}})
	if err != nil {
		return nil, fmt.Errorf("add the layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", o.arch
	cf.Config.Entrypoint = []string{binaryPath}
	cf.Config.Cmd = []string{"serve", "--addr", "0.0.0.0:8080"}
	cf.Config.User = fmt.Sprintf("%d:%d", uid, gid)
	cf.Config.WorkingDir = workDir
	cf.Config.Env = []string{"PATH=/", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	cf.Config.ExposedPorts = map[string]struct{}{"8080/tcp": {}, "9443/tcp": {}}
	cf.Config.Labels = map[string]string{
		"org.opencontainers.image.title":    "naas",
		"org.opencontainers.image.source":   o.source,
		"org.opencontainers.image.version":  o.version,
		"org.opencontainers.image.revision": o.revision,
		"org.opencontainers.image.licenses": o.licenses,
	}
	if o.caBundle == "" {
		cf.Config.Env = cf.Config.Env[:1]
	}
	return mutate.ConfigFile(img, cf)
}

// epoch is the time of every file in the image, so that one binary always makes the same layer.
var epoch = time.Unix(0, 0).UTC()

// rootfs returns the layer's files as an uncompressed tar: the binary, the working directory, /tmp, the user in
// /etc/passwd and /etc/group (for tools that print user names), and the CA bundle if one is given.
func rootfs(bin, caBundle string) ([]byte, error) {
	naas, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := func(name string, mode int64, owner int) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, Uid: owner, Gid: owner, ModTime: epoch})
	}
	file := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: epoch}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	errs := []error{
		dir("etc", 0o755, 0),
		file("etc/passwd", 0o644, fmt.Appendf(nil, "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:%s:/sbin/nologin\n", uid, gid, workDir)),
		file("etc/group", 0o644, fmt.Appendf(nil, "root:x:0:\nnonroot:x:%d:\n", gid)),
		dir("tmp", 0o1777, 0),
		dir("var", 0o755, 0),
		dir("var/lib", 0o755, 0),
		dir(workDir[1:], 0o700, uid),
		file(binaryPath[1:], 0o755, naas),
	}
	if caBundle != "" {
		ca, err := os.ReadFile(caBundle)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("CA bundle %s not found: install ca-certificates, or pass -ca-bundle '' for an image without one", caBundle)
		}
		if err != nil {
			return nil, err
		}
		errs = append(errs, dir("etc/ssl", 0o755, 0), dir("etc/ssl/certs", 0o755, 0),
			file("etc/ssl/certs/ca-certificates.crt", 0o644, ca))
	}
	errs = append(errs, tw.Close())
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("make the image's files: %w", err)
	}
	return buf.Bytes(), nil
}

// tarDir packs the directory dir into the tar file out, its entries relative to dir, in a stable order.
func tarDir(dir, out string) (err error) {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	tw := tar.NewWriter(f)
	if err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: filepath.ToSlash(rel) + "/", Mode: 0o755, ModTime: epoch})
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data)), ModTime: epoch}); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	}); err != nil {
		return fmt.Errorf("pack %s: %w", out, err)
	}
	return tw.Close()
}
