package vm

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// labelKey marks every container and network this package starts, so a
// leftover is easy to find: docker ps -a --filter label=org.minitwit-cd.vm.
const labelKey = "org.minitwit-cd.vm"

// User is the account deploys log in as (made by provision.sh).
const User = "deploy"

// LabOptions configure NewLab.
type LabOptions struct {
	// Name prefixes the network and every container (default
	// minitwit-lab-<random>).
	Name string
	// Image is the VM image StartVM runs (from BuildImage).
	Image string
	// Progress receives one line per step (nil: discarded).
	Progress io.Writer
}

// Lab is a Docker network with a registry on it and the VMs started in
// it. Close removes all of it.
type Lab struct {
	// Name is the lab's name, also its network's.
	Name string
	// Network is the Docker network VMs and the registry share.
	Network string
	// Registry is the lab's registry.
	Registry *Registry
	// Image is the VM image StartVM runs.
	Image string

	progress io.Writer
	mu       sync.Mutex
	vms      []*VM
}

// NewLab creates the network and starts the registry on it.
func NewLab(ctx context.Context, opts LabOptions) (*Lab, error) {
	if opts.Name == "" {
		opts.Name = "minitwit-lab-" + randomHex(4)
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	l := &Lab{Name: opts.Name, Network: opts.Name, Image: opts.Image, progress: opts.Progress}
	if _, err := docker(ctx, "network", "create", "--label", labelKey+"=1", l.Network); err != nil {
		return nil, fmt.Errorf("lab %s: %w", l.Name, err)
	}
	reg, err := startRegistry(ctx, l.Name+"-registry", l.Network, opts.Progress)
	l.Registry = reg
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("lab %s: %w", l.Name, err)
	}
	fmt.Fprintf(l.progress, "vm: lab %s: network and registry up (push to %s)\n", l.Name, reg.HostAddr)
	return l, nil
}

// File is a file copied into a VM before it boots (a tracker binary, its
// env file, …). Files are owned by root.
type File struct {
	Path string
	Mode int64
	Data []byte
}

// VMOptions configure Lab.StartVM.
type VMOptions struct {
	// Name is the VM's short name (e.g. prod): its alias on the lab's
	// network; the container is <lab>-<name>.
	Name string
	// AuthorizedKeys are the deploy user's authorized_keys lines (the
	// CI's public key).
	AuthorizedKeys string
	// Files are copied in before the VM boots.
	Files []File
	// BootTimeout bounds the wait for sshd, nginx and Docker (default 60 s).
	BootTimeout time.Duration
}

// VM is one running stand-in VM.
type VM struct {
	// Name is the container's name.
	Name string
	// Alias is its name on the lab's network.
	Alias string
	// SSHAddr is sshd on the host's loopback, 127.0.0.1:PORT.
	SSHAddr string
	// HTTPURL is nginx (:80) on the host's loopback, http://127.0.0.1:PORT.
	HTTPURL string
	// HostKey is the VM's ed25519 host key, made at its boot.
	HostKey ssh.PublicKey
	// BootTime is how long it took from docker create to all services up.
	BootTime time.Duration
}

// StartVM creates, boots and waits for one VM: systemd as PID 1 with the
// capability, seccomp, device and tmpfs settings of vm-container.md
// (--privileged is refused on this kind of machine).
func (l *Lab) StartVM(ctx context.Context, opts VMOptions) (*VM, error) {
	if opts.Name == "" {
		return nil, errors.New("start vm: a name is required")
	}
	if l.Image == "" {
		return nil, errors.New("start vm: the lab has no VM image (LabOptions.Image)")
	}
	if opts.BootTimeout == 0 {
		opts.BootTimeout = 60 * time.Second
	}
	v := &VM{Name: l.Name + "-" + opts.Name, Alias: opts.Name}
	start := time.Now()
	fmt.Fprintf(l.progress, "vm: starting %s from %s\n", v.Name, l.Image)
	args := []string{"create", "--name", v.Name, "--hostname", opts.Name,
		"--network", l.Network, "--network-alias", opts.Name,
		"--label", labelKey + "=1",
		"--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
		"--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
		"--device-cgroup-rule", "a *:* rwm", "--device", "/dev/fuse",
		"--tmpfs", "/run:rw,exec,mode=0755", "--tmpfs", "/run/lock", "--tmpfs", "/tmp:rw,exec,mode=1777",
		"--stop-signal", "SIGRTMIN+3",
		"-p", "127.0.0.1::22", "-p", "127.0.0.1::80",
	}
	if opts.AuthorizedKeys != "" {
		args = append(args, "-e", "VM_AUTHORIZED_KEYS="+strings.TrimSpace(opts.AuthorizedKeys))
	}
	args = append(args, l.Image)
	if _, err := docker(ctx, args...); err != nil {
		return nil, fmt.Errorf("start vm %s: %w", opts.Name, err)
	}
	l.mu.Lock()
	l.vms = append(l.vms, v)
	l.mu.Unlock()
	if len(opts.Files) > 0 {
		if err := copyFiles(ctx, v.Name, opts.Files); err != nil {
			return nil, fmt.Errorf("start vm %s: %w", opts.Name, err)
		}
	}
	if _, err := docker(ctx, "start", v.Name); err != nil {
		return nil, fmt.Errorf("start vm %s: %w", opts.Name, err)
	}
	if err := v.waitBooted(ctx, opts.BootTimeout); err != nil {
		return nil, fmt.Errorf("start vm %s: %w", opts.Name, err)
	}
	var err error
	if v.SSHAddr, err = hostPort(ctx, v.Name, "22/tcp"); err != nil {
		return nil, fmt.Errorf("start vm %s: %w", opts.Name, err)
	}
	httpAddr, err := hostPort(ctx, v.Name, "80/tcp")
	if err != nil {
		return nil, fmt.Errorf("start vm %s: %w", opts.Name, err)
	}
	v.HTTPURL = "http://" + httpAddr
	pub, err := v.Exec(ctx, "cat", "/etc/ssh/ssh_host_ed25519_key.pub")
	if err != nil {
		return nil, fmt.Errorf("start vm %s: host key: %w", opts.Name, err)
	}
	if v.HostKey, _, _, _, err = ssh.ParseAuthorizedKey([]byte(pub)); err != nil {
		return nil, fmt.Errorf("start vm %s: host key %q: %w", opts.Name, pub, err)
	}
	if err := waitBanner(ctx, v.SSHAddr, 10*time.Second); err != nil {
		return nil, fmt.Errorf("start vm %s: %w", opts.Name, err)
	}
	v.BootTime = time.Since(start)
	fmt.Fprintf(l.progress, "vm: %s up in %s: ssh %s@%s, http %s\n", v.Name, v.BootTime.Round(10*time.Millisecond), User, v.SSHAddr, v.HTTPURL)
	return v, nil
}

// copyFiles streams the files into the created container as one tar.
func copyFiles(ctx context.Context, container string, files []File) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(f.Path, "/"), Mode: mode, Size: int64(len(f.Data))}); err != nil {
			return err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	_, err := dockerIn(ctx, &buf, "cp", "-", container+":/")
	return err
}

// waitBooted polls until systemd reports sshd, nginx and Docker active.
func (v *VM) waitBooted(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		_, err := v.Exec(ctx, "systemctl", "is-active", "--quiet", "ssh.service", "nginx.service", "docker.service")
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	failed, _ := v.Exec(ctx, "systemctl", "--failed", "--no-legend")
	return fmt.Errorf("not booted after %s (ssh, nginx, docker not all active: %w; failed units: %s)", timeout, last, failed)
}

func waitBanner(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
		if err == nil {
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			b := make([]byte, 4)
			_, err = io.ReadFull(c, b)
			c.Close()
			if err == nil && string(b) == "SSH-" {
				return nil
			}
			if err == nil {
				err = fmt.Errorf("banner %q", b)
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("sshd at %s not answering after %s: %w", addr, timeout, last)
}

// KnownHosts returns the known_hosts line that pins the VM's host key for
// its SSH address.
func (v *VM) KnownHosts() string {
	return knownhosts.Line([]string{knownhosts.Normalize(v.SSHAddr)}, v.HostKey) + "\n"
}

// WriteKnownHosts writes KnownHosts to a file (mode 0600).
func (v *VM) WriteKnownHosts(path string) error {
	return os.WriteFile(path, []byte(v.KnownHosts()), 0o600)
}

// Exec runs a command inside the VM as root (docker exec) and returns its
// trimmed output. Tests use it to look behind the deploy's back.
func (v *VM) Exec(ctx context.Context, args ...string) (string, error) {
	return docker(ctx, append([]string{"exec", v.Name}, args...)...)
}

// Close removes the VM and its volumes (the inner engine's images).
func (v *VM) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := docker(ctx, "rm", "-fv", v.Name)
	return err
}

// Close removes the lab's VMs, its registry and its network.
func (l *Lab) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l.mu.Lock()
	vms := l.vms
	l.vms = nil
	l.mu.Unlock()
	var errs []error
	var wg sync.WaitGroup
	var emu sync.Mutex
	for _, v := range vms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := v.Close(); err != nil && !strings.Contains(err.Error(), "No such container") {
				emu.Lock()
				errs = append(errs, err)
				emu.Unlock()
			}
		}()
	}
	wg.Wait()
	if l.Registry != nil {
		if _, err := docker(ctx, "rm", "-fv", l.Registry.Name); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := docker(ctx, "network", "rm", l.Network); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close lab %s: %w", l.Name, err)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
