package vm

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/minitwit-cd/kit/internal/repo"
)

// Defaults of ImageOptions.
const (
	DefaultSuite  = "bookworm"
	DefaultMirror = "http://deb.debian.org/debian"
	// BaseRepo and ImageRepo are the repositories the two layers are
	// tagged in; the tag is the first 12 hex digits of the inputs' hash.
	BaseRepo  = "minitwit-vm-base"
	ImageRepo = "minitwit-vm"
	// InputsLabel is the image label holding the full hash of a layer's
	// inputs.
	InputsLabel = "org.minitwit-cd.vm.inputs"
)

// builderVersion is part of every hash: bump it when the build steps
// below change in a way the inputs do not show.
const builderVersion = "1"

// DaemonJSON is the stand-in's /etc/docker/daemon.json: the inner engine's
// networks stay clear of the host's 172.17/16 and of the Docker networks
// the VM sits on, a lower MTU fits inside the outer bridge, and the lab's
// plain-HTTP registry is allowed by its network name.
const DaemonJSON = `{
  "bip": "10.213.0.1/24",
  "default-address-pools": [{"base": "10.214.0.0/16", "size": 24}],
  "mtu": 1400,
  "storage-driver": "overlay2",
  "insecure-registries": ["` + RegistryPullAddr + `"]
}`

// initScript is the stand-in's PID 1 until it execs systemd: the remounts
// of vm-container.md that --privileged would otherwise give, a fresh host
// key per VM, and the deploy user's key from the environment (what
// cloud-init does on a droplet).
const initScript = `#!/bin/sh
# vm-init: prepares the container for systemd, then becomes it.
mount -o remount,rw /sys 2>/dev/null || true
for d in /sys/fs/cgroup/*/; do
  mount -o remount,bind,rw "$d" 2>/dev/null || true
done
for p in /proc/sys /proc/sysrq-trigger /proc/irq /proc/bus /proc/fs; do
  [ -e "$p" ] && mount -o remount,bind,rw "$p" 2>/dev/null || true
done
rm -f /etc/ssh/ssh_host_*
ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
if [ -n "${VM_AUTHORIZED_KEYS:-}" ]; then
  printf '%s\n' "$VM_AUTHORIZED_KEYS" >/home/deploy/.ssh/authorized_keys
  chown deploy:deploy /home/deploy/.ssh/authorized_keys
  chmod 0600 /home/deploy/.ssh/authorized_keys
fi
unset VM_AUTHORIZED_KEYS
exec /lib/systemd/systemd
`

// buildScript runs inside the base image to make the provisioned layer:
// the stand-in's own settings (masked units a container has no use for,
// the init), then provision.sh exactly as a droplet runs it.
const buildScript = `#!/bin/bash
set -euo pipefail
cd /tmp/standin
install -m 0755 vm-init /usr/local/sbin/vm-init
# A container has no ttys, no udev and no kernel modules to load; the
# stand-in never reaches a mirror, so apt's daily timers are off.
systemctl mask getty@tty1.service console-getty.service serial-getty@.service \
  systemd-udevd.service systemd-udev-trigger.service systemd-udevd-control.socket \
  systemd-udevd-kernel.socket systemd-modules-load.service systemd-firstboot.service \
  sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
  systemd-remount-fs.service apt-daily.timer apt-daily-upgrade.timer >/dev/null 2>&1
systemctl set-default multi-user.target >/dev/null
printf 'HostKey /etc/ssh/ssh_host_ed25519_key\n' >/etc/ssh/sshd_config.d/05-standin.conf
DOCKER_DAEMON_JSON="$(cat daemon.json)" bash ./provision.sh
# Host keys are made per VM at boot (vm-init); the machine id per boot.
rm -f /etc/ssh/ssh_host_*
: >/etc/machine-id
rm -rf /tmp/standin /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
`

// ImageOptions configure BuildImage.
type ImageOptions struct {
	// Suite and Mirror are debootstrap's (DefaultSuite, DefaultMirror, or
	// env MINITWIT_VM_MIRROR).
	Suite, Mirror string
	// ProvisionScript is the path of provision.sh (default: the
	// repository's vagrant/provision.sh).
	ProvisionScript string
	// CacheDir holds the build lock and the temporary root file system
	// (default ~/.cache/minitwit-vm).
	CacheDir string
	// Rebuild builds both layers even when their tags exist (also env
	// MINITWIT_VM_REBUILD=1).
	Rebuild bool
	// Progress receives one line per build phase (nil: discarded).
	Progress io.Writer
}

// Image is a built (or cached) VM image.
type Image struct {
	// Ref is the provisioned image's tag, minitwit-vm:<hash>.
	Ref string
	// Base is the debootstrap layer's tag, minitwit-vm-base:<hash>.
	Base string
	// BaseBuilt and Built say whether this call built the layer (false:
	// found in the cache).
	BaseBuilt, Built bool
	// BaseTime and ProvisionTime are how long each build took (zero when
	// cached).
	BaseTime, ProvisionTime time.Duration
}

func (o *ImageOptions) defaults() error {
	if o.Suite == "" {
		o.Suite = DefaultSuite
	}
	if o.Mirror == "" {
		o.Mirror = os.Getenv("MINITWIT_VM_MIRROR")
	}
	if o.Mirror == "" {
		o.Mirror = DefaultMirror
	}
	if o.ProvisionScript == "" {
		root, err := repo.Root()
		if err != nil {
			return err
		}
		o.ProvisionScript = filepath.Join(root, "vagrant", "provision.sh")
	}
	if o.CacheDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return fmt.Errorf("cache dir: %w", err)
		}
		o.CacheDir = filepath.Join(home, ".cache", "minitwit-vm")
	}
	if os.Getenv("MINITWIT_VM_REBUILD") == "1" {
		o.Rebuild = true
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return nil
}

// BuildImage returns the provisioned VM image, building whichever layer's
// inputs changed since the last build. Concurrent builds (several test
// processes) wait for each other on a file lock in the cache directory.
func BuildImage(ctx context.Context, opts ImageOptions) (Image, error) {
	if err := opts.defaults(); err != nil {
		return Image{}, fmt.Errorf("vm image: %w", err)
	}
	script, err := os.ReadFile(opts.ProvisionScript)
	if err != nil {
		return Image{}, fmt.Errorf("vm image: %w", err)
	}
	packages, err := provisionPackages(ctx, opts.ProvisionScript)
	if err != nil {
		return Image{}, fmt.Errorf("vm image: %w", err)
	}
	if err := os.MkdirAll(opts.CacheDir, 0o755); err != nil {
		return Image{}, fmt.Errorf("vm image: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(opts.CacheDir, "build.lock"), opts.Progress)
	if err != nil {
		return Image{}, fmt.Errorf("vm image: %w", err)
	}
	defer unlock()

	baseHash := hashOf("base", builderVersion, opts.Suite, opts.Mirror, strings.Join(packages, ","))
	img := Image{Base: BaseRepo + ":" + baseHash[:12]}
	if opts.Rebuild || !imageExists(ctx, img.Base) {
		start := time.Now()
		if err := buildBase(ctx, opts, packages, img.Base, baseHash); err != nil {
			return Image{}, fmt.Errorf("vm image: base: %w", err)
		}
		img.BaseBuilt, img.BaseTime = true, time.Since(start)
	} else {
		fmt.Fprintf(opts.Progress, "vm: base image %s cached\n", img.Base)
	}
	baseID, err := docker(ctx, "image", "inspect", "--format", "{{.Id}}", img.Base)
	if err != nil {
		return Image{}, fmt.Errorf("vm image: %w", err)
	}
	hash := hashOf("provisioned", builderVersion, baseID, string(script), initScript, buildScript, DaemonJSON)
	img.Ref = ImageRepo + ":" + hash[:12]
	if opts.Rebuild || img.BaseBuilt || !imageExists(ctx, img.Ref) {
		start := time.Now()
		if err := buildProvisioned(ctx, opts, script, img.Base, img.Ref, hash); err != nil {
			return Image{}, fmt.Errorf("vm image: provision: %w", err)
		}
		img.Built, img.ProvisionTime = true, time.Since(start)
	} else {
		fmt.Fprintf(opts.Progress, "vm: image %s cached (inputs unchanged)\n", img.Ref)
	}
	return img, nil
}

func hashOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s\n", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// provisionPackages asks provision.sh which packages it needs, so the base
// image carries exactly those and provisioning needs no network.
func provisionPackages(ctx context.Context, script string) ([]string, error) {
	out, err := exec.CommandContext(ctx, "bash", script, "--print-packages").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --print-packages: %w", script, err)
	}
	pkgs := strings.Fields(string(out))
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("%s --print-packages printed nothing", script)
	}
	return pkgs, nil
}

// lockFile takes an exclusive flock, saying so when it has to wait.
func lockFile(ctx context.Context, path string, progress io.Writer) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	said := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !said {
			fmt.Fprintf(progress, "vm: waiting for another build (lock %s)\n", path)
			said = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func buildBase(ctx context.Context, opts ImageOptions, packages []string, tag, hash string) error {
	if _, err := exec.LookPath("debootstrap"); err != nil {
		return errors.New("debootstrap is not installed (apt-get install debootstrap)")
	}
	rootfs, err := os.MkdirTemp(opts.CacheDir, "rootfs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(rootfs)
	fmt.Fprintf(opts.Progress, "vm: debootstrap %s minbase + %d packages from %s (about 95 s)\n", opts.Suite, len(packages), opts.Mirror)
	start := time.Now()
	cmd := exec.CommandContext(ctx, "debootstrap", "--variant=minbase",
		"--include="+strings.Join(packages, ","), opts.Suite, rootfs, opts.Mirror)
	if err := streamPhases(cmd, opts.Progress, start); err != nil {
		return fmt.Errorf("debootstrap: %w", err)
	}
	// Apt's caches and lists are 160 MB the VM never reads (provisioning
	// finds every package installed); the machine id is made per boot.
	for _, glob := range []string{"var/cache/apt/archives/*.deb", "var/lib/apt/lists/*", "var/log/*.log"} {
		matches, _ := filepath.Glob(filepath.Join(rootfs, glob))
		for _, m := range matches {
			_ = os.RemoveAll(m)
		}
	}
	_ = os.WriteFile(filepath.Join(rootfs, "etc", "machine-id"), nil, 0o444)
	_ = os.Remove(filepath.Join(rootfs, "var", "lib", "dbus", "machine-id"))

	fmt.Fprintf(opts.Progress, "vm: docker import %s\n", tag)
	tar := exec.CommandContext(ctx, "tar", "--numeric-owner", "-C", rootfs, "-c", ".")
	pipe, err := tar.StdoutPipe()
	if err != nil {
		return err
	}
	var tarErr strings.Builder
	tar.Stderr = &tarErr
	if err := tar.Start(); err != nil {
		return fmt.Errorf("tar: %w", err)
	}
	_, importErr := dockerIn(ctx, pipe, "import",
		"--change", "ENV container=docker",
		"--change", "VOLUME /var/lib/docker",
		"--change", `CMD ["/bin/bash"]`,
		"--change", "LABEL "+InputsLabel+"="+hash,
		"-", tag)
	if err := tar.Wait(); err != nil {
		return fmt.Errorf("tar: %w: %s", err, tarErr.String())
	}
	if importErr != nil {
		return importErr
	}
	fmt.Fprintf(opts.Progress, "vm: base image %s built in %s\n", tag, time.Since(start).Round(time.Second))
	return nil
}

// streamPhases runs a debootstrap and forwards its phase lines ("I:
// Retrieving Packages", "I: Unpacking the base system...") but not its
// line per package, each with the time since the start.
func streamPhases(cmd *exec.Cmd, progress io.Writer, start time.Time) error {
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw
	var tail []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			tail = append(tail, line)
			if len(tail) > 20 {
				tail = tail[1:]
			}
			// Phases have three words or more ("I: Unpacking the base
			// system..."); the per-package lines two ("I: Extracting bash...").
			if strings.HasPrefix(line, "I: ") && len(strings.Fields(line)) >= 4 {
				fmt.Fprintf(progress, "vm:   %4.0fs %s\n", time.Since(start).Seconds(), strings.TrimPrefix(line, "I: "))
			}
		}
	}()
	err := cmd.Run()
	pw.Close()
	<-done
	if err != nil {
		return fmt.Errorf("%w\n%s", err, strings.Join(tail, "\n"))
	}
	return nil
}

func buildProvisioned(ctx context.Context, opts ImageOptions, script []byte, base, tag, hash string) error {
	dir, err := os.MkdirTemp(opts.CacheDir, "standin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	throwaway, err := throwawayKey()
	if err != nil {
		return err
	}
	files := map[string]string{
		"provision.sh": string(script),
		"vm-init":      initScript,
		"build.sh":     buildScript,
		"daemon.json":  DaemonJSON,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o755); err != nil {
			return err
		}
	}
	name := "minitwit-vm-build-" + hash[:12]
	_, _ = docker(ctx, "rm", "-fv", name)
	fmt.Fprintf(opts.Progress, "vm: running provision.sh in %s\n", base)
	start := time.Now()
	// The build key only satisfies provision.sh; every VM gets the
	// caller's key at start (vm-init), so no one holds this one.
	if _, err := docker(ctx, "create", "--name", name, "-e", "DEPLOY_AUTHORIZED_KEYS="+throwaway,
		base, "/bin/bash", "/tmp/standin/build.sh"); err != nil {
		return err
	}
	defer func() { _, _ = docker(context.WithoutCancel(ctx), "rm", "-fv", name) }()
	if _, err := docker(ctx, "cp", dir+"/.", name+":/tmp/standin"); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "docker", "start", "-a", name)
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line != "" {
			fmt.Fprintf(opts.Progress, "vm:   %s\n", line)
		}
	}
	if err != nil {
		return fmt.Errorf("provision.sh in the build container: %w", err)
	}
	if _, err := docker(ctx, "commit",
		"--change", `ENTRYPOINT ["/usr/local/sbin/vm-init"]`,
		"--change", "CMD []",
		"--change", "LABEL "+InputsLabel+"="+hash,
		name, tag); err != nil {
		return err
	}
	fmt.Fprintf(opts.Progress, "vm: image %s provisioned in %s\n", tag, time.Since(start).Round(100*time.Millisecond))
	return nil
}

func throwawayKey() (string, error) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " build-only", nil
}
