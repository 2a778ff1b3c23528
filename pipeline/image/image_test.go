package image_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/pipeline/image"
)

// whoami is a static program that prints the uid and gid it runs as and
// its first argument: the payload of the test image.
const whoami = `package main

import (
	"fmt"
	"os"
)

func main() { fmt.Println(os.Getuid(), os.Getgid(), os.Args[1:]) }
`

func buildWhoami(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for n, c := range map[string]string{"main.go": whoami, "go.mod": "module whoami\n\ngo 1.22\n"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "whoami")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build whoami: %v: %s", err, out)
	}
	return bin
}

var meta = image.Meta{Version: "v1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567",
	Created: time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC), Source: "https://github.com/minitwit-cd/kit"}

func spec(bin string) image.Spec {
	return image.Spec{Name: "whoami", Binary: bin, Args: []string{"serve"}, Dirs: []string{"/data", "/tmp"}, Port: 5000,
		Env: []string{"TMPDIR=/tmp"}, Volumes: []string{"/data"}, Description: "test"}
}

func TestSameCommitSameDigest(t *testing.T) {
	bin := buildWhoami(t)
	a, err := image.Build(spec(bin), meta)
	if err != nil {
		t.Fatal(err)
	}
	// A second build, into another layout.
	b, err := image.Build(spec(bin), meta)
	if err != nil {
		t.Fatal(err)
	}
	wa, err := image.WriteLayout(filepath.Join(t.TempDir(), "a"), a)
	if err != nil {
		t.Fatal(err)
	}
	wb, err := image.WriteLayout(filepath.Join(t.TempDir(), "b"), b)
	if err != nil {
		t.Fatal(err)
	}
	if wa.Digest != wb.Digest || !strings.HasPrefix(wa.Digest, "sha256:") {
		t.Fatalf("same inputs, digests %s and %s", wa.Digest, wb.Digest)
	}
	other := meta
	other.Commit = "fedcba9876543210fedcba9876543210fedcba98"
	c, err := image.Build(spec(bin), other)
	if err != nil {
		t.Fatal(err)
	}
	wc, _ := image.Describe(c)
	if wc.Digest == wa.Digest {
		t.Error("another commit gave the same digest")
	}
}

func TestConfigAndLayout(t *testing.T) {
	bin := buildWhoami(t)
	img, err := image.Build(spec(bin), meta)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "layout")
	w, err := image.WriteLayout(dir, img)
	if err != nil {
		t.Fatal(err)
	}
	back, err := image.ReadLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := back.Digest()
	if d.String() != w.Digest {
		t.Fatalf("layout holds %s, wrote %s", d, w.Digest)
	}
	cf, err := back.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65534:65534" {
		t.Errorf("user %q, want 65534:65534", cf.Config.User)
	}
	want := map[string]string{
		"org.opencontainers.image.revision": meta.Commit,
		"org.opencontainers.image.version":  "v1.2.3",
		"org.opencontainers.image.source":   meta.Source,
		"org.opencontainers.image.created":  "2026-11-02T12:00:00Z",
	}
	for k, v := range want {
		if cf.Config.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, cf.Config.Labels[k], v)
		}
	}
	if !cf.Created.Equal(meta.Created) {
		t.Errorf("created %v, want the commit's time", cf.Created)
	}
	if strings.Join(cf.Config.Entrypoint, " ") != "/whoami serve" {
		t.Errorf("entrypoint %v", cf.Config.Entrypoint)
	}
	if _, err := image.ReadLayout(t.TempDir()); err == nil {
		t.Error("an empty directory read as a layout")
	}
}

// TestRunsAsNobody loads the image into the real engine and runs it: the
// binary is at /NAME and runs as 65534, not root.
func TestRunsAsNobody(t *testing.T) {
	testenv.Docker(t)
	bin := buildWhoami(t)
	img, err := image.Build(spec(bin), meta)
	if err != nil {
		t.Fatal(err)
	}
	tag := "pipeline-image-test:" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	tarPath := filepath.Join(t.TempDir(), "img.tar")
	if err := tarball.WriteToFile(tarPath, ref, img); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("docker", "load", "-i", tarPath).CombinedOutput(); err != nil {
		t.Fatalf("docker load: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "image", "rm", "-f", tag).Run() })
	out, err := exec.Command("docker", "run", "--rm", tag).CombinedOutput()
	if err != nil {
		t.Fatalf("docker run: %v: %s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "65534 65534 [serve]" {
		t.Errorf("the image's program said %q, want \"65534 65534 [serve]\"", got)
	}
}

// TestPush pushes to Debian's docker-registry and gets back the reference
// pinned by the digest the registry holds.
func TestPush(t *testing.T) {
	reg := testenv.Registry(t)
	img, err := image.Build(spec(buildWhoami(t)), meta)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ref, err := image.Push(ctx, reg+"/whoami", "0123456789ab", img)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	if ref != reg+"/whoami@"+d.String() {
		t.Fatalf("ref %s, want %s/whoami@%s", ref, reg, d)
	}
	// The registry serves the manifest under that digest.
	req, _ := http.NewRequest(http.MethodHead, "http://"+reg+"/v2/whoami/manifests/"+d.String(), nil)
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Docker-Content-Digest") != d.String() {
		t.Errorf("registry HEAD by digest: %d %q", resp.StatusCode, resp.Header.Get("Docker-Content-Digest"))
	}
	// A registry that is down: a one-line error naming it.
	_, err = image.Push(ctx, testenv.FreeAddr(t)+"/whoami", "x", img)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "push") {
		t.Errorf("push to a closed port: %v", err)
	}
}
