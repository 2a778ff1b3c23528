// Package vmtest gives the pipeline's tests a real VM to deploy to: the
// pipeline/vm stand-in (built once per test process, cached across runs by
// its inputs' hash), a lab with its registry, and two MiniTwit images that
// differ only in the commit their /version reports, pushed by digest.
// Missing Docker or debootstrap fails the test in CI and skips it elsewhere
// (testenv).
package vmtest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/pipeline/deploy"
	"github.com/minitwit-cd/kit/pipeline/vm"
)

// The two versions tests deploy: MiniTwit built with these commits in its
// -ldflags, so /version tells them apart.
const (
	CommitA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	CommitB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

var (
	once      sync.Once
	fixErr    error
	image     vm.Image
	appImages = map[string]string{}
)

// Fixtures builds, once per test process, the VM image and the MiniTwit
// images of CommitA and CommitB (scripts/build-image.sh; the Go build
// cache makes the second a link), and returns the VM image.
func Fixtures(t testing.TB) vm.Image {
	t.Helper()
	testenv.Docker(t)
	testenv.Binary(t, "debootstrap")
	testenv.Binary(t, "docker-registry")
	root := testenv.RepoRoot(t)
	once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		defer cancel()
		img, err := vm.BuildImage(ctx, vm.ImageOptions{Progress: os.Stderr})
		if err != nil {
			fixErr = err
			return
		}
		image = img
		for _, commit := range []string{CommitA, CommitB} {
			tag := "minitwit-vmtest:" + commit[:7]
			cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "build-image.sh"), tag)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "COMMIT="+commit, "VERSION=test-"+commit[:7], "DATE=2026-01-01T00:00:00Z")
			if out, err := cmd.CombinedOutput(); err != nil {
				fixErr = fmt.Errorf("build image %s: %w: %s", tag, err, out)
				return
			}
			appImages[commit] = tag
		}
	})
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return image
}

// Env is one lab with one VM, the deploy key and a known_hosts file that
// pins the VM's host key.
type Env struct {
	Lab *vm.Lab
	VM  *vm.VM
	// Target reaches the VM as the deploy user.
	Target deploy.Target
	// KeyFile and KnownHostsFile are the key and known_hosts on disk, for
	// the command line.
	KeyFile, KnownHostsFile string
	// Refs maps a commit to its image's pull reference by digest.
	Refs map[string]string
}

// Start starts a lab and a VM named name, and pushes the given commits'
// images to the lab's registry. Cleanup removes everything.
func Start(t testing.TB, name string, commits ...string) *Env {
	t.Helper()
	img := Fixtures(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lab, err := vm.NewLab(ctx, vm.LabOptions{Image: img.Ref})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Error(err)
		}
	})
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := lab.StartVM(ctx, vm.VMOptions{Name: name, AuthorizedKeys: string(ssh.MarshalAuthorizedKey(signer.PublicKey()))})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e := &Env{Lab: lab, VM: v, Refs: map[string]string{},
		KeyFile: filepath.Join(dir, "id_ed25519"), KnownHostsFile: filepath.Join(dir, "known_hosts")}
	if err := v.WriteKnownHosts(e.KnownHostsFile); err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.KeyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	e.Target = deploy.Target{User: vm.User, Addr: v.SSHAddr, KnownHosts: e.KnownHostsFile, Signer: signer}
	for _, c := range commits {
		ref, err := lab.Registry.Push(ctx, appImages[c], "minitwit")
		if err != nil {
			t.Fatal(err)
		}
		e.Refs[c] = ref
	}
	return e
}

// Serving returns the commit nginx's /version reports, asked from the host.
func (e *Env) Serving() (string, error) {
	resp, err := http.Get(e.VM.HTTPURL + "/version")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return "", fmt.Errorf("GET /version: %s: %s", resp.Status, b)
	}
	var v struct{ Commit string }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return "", err
	}
	return v.Commit, nil
}

// WantServing fails t unless nginx serves commit.
func (e *Env) WantServing(t testing.TB, commit string) {
	t.Helper()
	got, err := e.Serving()
	if err != nil {
		t.Fatalf("nginx: %v", err)
	}
	if got != commit {
		t.Fatalf("nginx serves commit %s, want %s", got, commit)
	}
}
