package vm_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/pipeline/vm"
)

var (
	imageOnce sync.Once
	image     vm.Image
	imageErr  error
)

// vmImage builds the VM image once per test process (cached across runs
// by its inputs' hash).
func vmImage(t *testing.T) string {
	t.Helper()
	testenv.Docker(t)
	testenv.Binary(t, "debootstrap")
	testenv.Binary(t, "docker-registry")
	imageOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		image, imageErr = vm.BuildImage(ctx, vm.ImageOptions{Progress: os.Stderr})
	})
	if imageErr != nil {
		t.Fatal(imageErr)
	}
	return image.Ref
}

func TestProvisionShellcheck(t *testing.T) {
	sc := testenv.Binary(t, "shellcheck")
	out, err := exec.Command(sc, testenv.RepoRoot(t)+"/vagrant/provision.sh").CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck vagrant/provision.sh: %v\n%s", err, out)
	}
}

func TestImageCached(t *testing.T) {
	ref := vmImage(t)
	again, err := vm.BuildImage(context.Background(), vm.ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Built || again.BaseBuilt || again.Ref != ref {
		t.Errorf("second build: %+v; want the cached %s, nothing built", again, ref)
	}
	label, err := exec.Command("docker", "image", "inspect", "--format", `{{index .Config.Labels "`+vm.InputsLabel+`"}}`, ref).Output()
	if err != nil || !strings.HasPrefix(ref, vm.ImageRepo+":"+strings.TrimSpace(string(label))[:12]) {
		t.Errorf("image %s: inputs label %q (%v); want the tag's hash", ref, label, err)
	}
}

// TestVMProvisioned boots two VMs and checks what provision.sh promises,
// through the VM's own tools and over real SSH.
func TestVMProvisioned(t *testing.T) {
	ref := vmImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lab, err := vm.NewLab(ctx, vm.LabOptions{Image: ref})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Error(err)
		}
		out, _ := exec.Command("docker", "ps", "-aq", "--filter", "name="+lab.Name).Output()
		if len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("containers of %s left after Close: %s", lab.Name, out)
		}
	})
	signer := newSigner(t)
	pub := string(ssh.MarshalAuthorizedKey(signer.PublicKey()))
	env := []byte("TRACKER_ENV=beta\nTRACKER_HOST=http://tracker:8080\n")
	var beta, prod *vm.VM
	var berr, perr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		beta, berr = lab.StartVM(ctx, vm.VMOptions{Name: "beta", AuthorizedKeys: pub,
			Files: []vm.File{{Path: "/etc/minitwit/tracker.env", Mode: 0o600, Data: env}, {Path: "/usr/local/bin/tracker", Mode: 0o755, Data: []byte(recordingTracker)}}})
	}()
	go func() {
		defer wg.Done()
		prod, perr = lab.StartVM(ctx, vm.VMOptions{Name: "prod", AuthorizedKeys: pub})
	}()
	wg.Wait()
	if berr != nil || perr != nil {
		t.Fatal(berr, perr)
	}
	t.Logf("boot: beta %s, prod %s", beta.BootTime, prod.BootTime)
	if ssh.FingerprintSHA256(beta.HostKey) == ssh.FingerprintSHA256(prod.HostKey) {
		t.Error("two VMs share a host key; each must make its own at boot")
	}

	t.Run("services", func(t *testing.T) {
		if out, err := beta.Exec(ctx, "systemctl", "is-active", "ssh", "nginx", "docker", "nftables", "tracker-snapshot.timer"); err != nil {
			t.Errorf("services not all active: %s %v", out, err)
		}
		if out, _ := beta.Exec(ctx, "nft", "list", "table", "inet", "minitwit_filter"); !strings.Contains(out, "tcp dport { 22, 80 } accept") || !strings.Contains(out, "policy drop") {
			t.Errorf("firewall table: %q", out)
		}
		if out, _ := beta.Exec(ctx, "stat", "-c", "%a %U", "/etc/minitwit/tracker.env"); out != "600 root" {
			t.Errorf("copied env file: %q, want 600 root", out)
		}
		if out, _ := beta.Exec(ctx, "stat", "-c", "%U", "/srv/minitwit", "/etc/nginx/minitwit/upstream.conf"); out != "deploy\ndeploy" {
			t.Errorf("deploy directory and upstream owners: %q", out)
		}
	})

	t.Run("snapshot timer", func(t *testing.T) {
		// The unit runs the installed tracker with the env file's
		// environment name and host (the real tracker's snapshot is
		// tested by the tracker and by pipeline demo).
		if out, err := beta.Exec(ctx, "systemctl", "start", "tracker-snapshot.service"); err != nil {
			t.Fatalf("start the snapshot service: %v %s", err, out)
		}
		if out, _ := beta.Exec(ctx, "cat", "/run/tracker-calls"); out != "snapshot docker beta host=http://tracker:8080" {
			t.Errorf("the snapshot service ran %q", out)
		}
		if out, _ := beta.Exec(ctx, "systemctl", "show", "-p", "TimersCalendar", "tracker-snapshot.timer"); !strings.Contains(out, "*-*-* *:*:00") {
			t.Errorf("timer: %q, want every minute", out)
		}
		// Without a tracker installed the unit is skipped, not failed.
		if _, err := prod.Exec(ctx, "systemctl", "start", "tracker-snapshot.service"); err != nil {
			t.Errorf("snapshot service without a tracker: %v", err)
		}
		if out, _ := prod.Exec(ctx, "systemctl", "show", "-p", "ConditionResult", "tracker-snapshot.service"); out != "ConditionResult=no" {
			t.Errorf("snapshot service without a tracker: %q, want its condition unmet", out)
		}
	})

	t.Run("nginx before a deploy", func(t *testing.T) {
		resp, err := http.Get(beta.HTTPURL + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadGateway {
			t.Errorf("GET / before any deploy: %s, want 502", resp.Status)
		}
	})

	t.Run("ssh", func(t *testing.T) {
		cb := ssh.FixedHostKey(beta.HostKey)
		if _, err := ssh.Dial("tcp", beta.SSHAddr, &ssh.ClientConfig{User: vm.User, Auth: []ssh.AuthMethod{ssh.Password("deploy")}, HostKeyCallback: cb, Timeout: 5 * time.Second}); err == nil {
			t.Error("password login accepted")
		}
		if _, err := ssh.Dial("tcp", beta.SSHAddr, &ssh.ClientConfig{User: vm.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(newSigner(t))}, HostKeyCallback: cb, Timeout: 5 * time.Second}); err == nil {
			t.Error("login with a key not in authorized_keys accepted")
		}
		c, err := ssh.Dial("tcp", beta.SSHAddr, &ssh.ClientConfig{User: vm.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: cb, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("key login as deploy: %v", err)
		}
		defer c.Close()
		runSSH := func(cmd string) (string, error) {
			s, err := c.NewSession()
			if err != nil {
				return "", err
			}
			defer s.Close()
			out, err := s.CombinedOutput(cmd)
			return strings.TrimSpace(string(out)), err
		}
		if out, err := runSSH("id -nG"); err != nil || !strings.Contains(out, "docker") {
			t.Errorf("deploy's groups: %q %v, want docker", out, err)
		}
		if out, err := runSSH("sudo -n /usr/sbin/nginx -t"); err != nil {
			t.Errorf("sudo nginx -t as deploy: %v: %s", err, out)
		}
		if out, err := runSSH("sudo -n id"); err == nil {
			t.Errorf("deploy may sudo anything: %s", out)
		}
	})

	t.Run("pull from the lab registry", func(t *testing.T) {
		img, err := vm.BuildRegistryImage(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		pullRef, err := lab.Registry.Push(ctx, img, "registry-image")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(pullRef, vm.RegistryPullAddr+"/registry-image@sha256:") {
			t.Errorf("pull reference %q", pullRef)
		}
		if out, err := prod.Exec(ctx, "docker", "pull", "-q", pullRef); err != nil {
			t.Errorf("pull in the VM: %v %s", err, out)
		}
	})
}

// recordingTracker stands in for the tracker binary in the timer's test:
// it writes down how systemd called it.
const recordingTracker = `#!/bin/sh
echo "$* host=$TRACKER_HOST" >>/run/tracker-calls
`

func newSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
