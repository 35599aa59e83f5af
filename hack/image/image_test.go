package main

import (
	"archive/tar"
	"context"
	"debug/elf"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// readLayout unpacks the OCI layout tar at path and returns its one image.
func readLayout(t *testing.T, path string) (v1.Image, v1.IndexManifest) {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(target, dir+string(filepath.Separator)) {
			t.Fatalf("entry %q leaves the layout", h.Name)
		}
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(target, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatalf("not an OCI layout: %v", err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 {
		t.Fatalf("index has %d manifests, want 1", len(m.Manifests))
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return img, *m
}

// layerFiles returns the files of the image's one layer, by name, with their headers and contents.
func layerFiles(t *testing.T, img v1.Image) (map[string]*tar.Header, map[string][]byte) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("image has %d layers, want 1", len(layers))
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	headers, contents := map[string]*tar.Header{}, map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return headers, contents
		}
		if err != nil {
			t.Fatal(err)
		}
		name := "/" + strings.TrimSuffix(h.Name, "/")
		headers[name] = h
		if contents[name], err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
}

func TestImage_BuildsAStaticNonRootImageWithLabels(t *testing.T) {
	out := filepath.Join(t.TempDir(), "naas-image.tar")
	if err := build(context.Background(), options{
		out: out, pkg: "./testdata/fakenaas", arch: runtime.GOARCH,
		version: "v1.2.3", revision: "0123abc", source: "https://example.com/naas", licenses: "NOASSERTION",
		caBundle: "", // The test machine's bundle is not the point here.
	}); err != nil {
		t.Fatalf("build: %v", err)
	}

	img, index := readLayout(t, out)
	if got := index.Manifests[0].Annotations["org.opencontainers.image.ref.name"]; got != "v1.2.3" {
		t.Errorf("the layout's ref name = %q, want the version", got)
	}
	mt, err := img.MediaType()
	if err != nil || mt != "application/vnd.oci.image.manifest.v1+json" {
		t.Errorf("manifest media type = %q, %v, want OCI", mt, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("platform = %s/%s, want linux/%s", cf.OS, cf.Architecture, runtime.GOARCH)
	}
	if diff := cmp.Diff([]string{"/naas"}, cf.Config.Entrypoint); diff != "" {
		t.Errorf("entrypoint (-want +got):\n%s", diff)
	}
	if cf.Config.User != "65532:65532" {
		t.Errorf("user = %q, want 65532:65532 (not root)", cf.Config.User)
	}
	if diff := cmp.Diff(map[string]string{
		"org.opencontainers.image.title":    "naas",
		"org.opencontainers.image.source":   "https://example.com/naas",
		"org.opencontainers.image.version":  "v1.2.3",
		"org.opencontainers.image.revision": "0123abc",
		"org.opencontainers.image.licenses": "NOASSERTION",
	}, cf.Config.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}

	headers, contents := layerFiles(t, img)
	for _, shell := range []string{"/bin/sh", "/bin/bash", "/bin/busybox", "/usr/bin/sh"} {
		if _, ok := headers[shell]; ok {
			t.Errorf("the image has %s: it must not need nor ship a shell", shell)
		}
	}
	h, ok := headers["/naas"]
	if !ok || h.Mode&0o111 == 0 {
		t.Fatalf("/naas missing or not executable: %+v", h)
	}
	if w := headers[cf.Config.WorkingDir]; w == nil || w.Uid != 65532 {
		t.Errorf("working directory %s: %+v, want it owned by the user naas runs as", cf.Config.WorkingDir, w)
	}
	if !strings.Contains(string(contents["/etc/passwd"]), ":65532:65532:") {
		t.Errorf("/etc/passwd has no entry for uid 65532: %q", contents["/etc/passwd"])
	}

	// Static: no dynamic loader, so it runs on an empty base. And it runs.
	bin := filepath.Join(t.TempDir(), "naas")
	if err := os.WriteFile(bin, contents["/naas"], 0o755); err != nil {
		t.Fatal(err)
	}
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("/naas is not an ELF binary: %v", err)
	}
	defer ef.Close()
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("/naas is dynamically linked (it has an ELF interpreter): want CGO_ENABLED=0")
		}
	}
	if runtime.GOOS == "linux" {
		if out, err := exec.Command(bin, "--help").CombinedOutput(); err != nil || !strings.Contains(string(out), "serve") {
			t.Errorf("/naas --help: %v\n%s", err, out)
		}
	}
}

func TestNaasBinary_DoesNotLinkTheImageLibrary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../../cmd/naas").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "go-containerregistry") {
		t.Error("cmd/naas depends on go-containerregistry: keep the image library in hack/image")
	}
}
