package vm

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// RegistryAlias is the registry container's name on a lab's network, and
// RegistryPullAddr the address VMs pull from (plain HTTP, allowed by the
// stand-in's daemon.json).
const (
	RegistryAlias    = "registry"
	RegistryPullAddr = RegistryAlias + ":5000"
	// RegistryRepo is the repository the registry image is tagged in.
	RegistryRepo = "minitwit-registry"
)

// registryBinary is Debian's docker-registry (apt-get install docker-registry).
const registryBinary = "/usr/bin/docker-registry"

const registryConfig = `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
`

// BuildRegistryImage returns a FROM scratch image holding Debian's
// docker-registry binary, the C library and loader it links to, and a
// configuration; tagged by a hash of those bytes, so it is built once.
func BuildRegistryImage(ctx context.Context, progress io.Writer) (string, error) {
	if progress == nil {
		progress = io.Discard
	}
	files, err := registryFiles(ctx)
	if err != nil {
		return "", fmt.Errorf("registry image: %w", err)
	}
	parts := []string{"registry", builderVersion}
	for _, f := range files {
		parts = append(parts, f.path, string(f.data))
	}
	hash := hashOf(parts...)
	tag := RegistryRepo + ":" + hash[:12]
	if imageExists(ctx, tag) {
		return tag, nil
	}
	fmt.Fprintf(progress, "vm: building registry image %s from %s\n", tag, registryBinary)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	for _, f := range files {
		for d := filepath.Dir(f.path); d != "/" && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	dirs["/var/lib/registry"] = true
	for d := range dirs {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(d, "/") + "/", Mode: 0o755}); err != nil {
			return "", err
		}
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(f.path, "/"), Mode: f.mode, Size: int64(len(f.data))}); err != nil {
			return "", err
		}
		if _, err := tw.Write(f.data); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	if _, err := dockerIn(ctx, &buf, "import",
		"--change", "VOLUME /var/lib/registry",
		"--change", "EXPOSE 5000",
		"--change", `ENTRYPOINT ["`+registryBinary+`", "serve", "/etc/docker/registry/config.yml"]`,
		"--change", "LABEL "+InputsLabel+"="+hash,
		"-", tag); err != nil {
		return "", fmt.Errorf("registry image: %w", err)
	}
	return tag, nil
}

type imageFile struct {
	path string
	mode int64
	data []byte
}

// registryFiles are the binary, the shared objects ldd names for it, and
// the configuration.
func registryFiles(ctx context.Context) ([]imageFile, error) {
	bin, err := os.ReadFile(registryBinary)
	if err != nil {
		return nil, fmt.Errorf("%w (apt-get install docker-registry)", err)
	}
	files := []imageFile{
		{registryBinary, 0o755, bin},
		{"/etc/docker/registry/config.yml", 0o644, []byte(registryConfig)},
	}
	out, err := exec.CommandContext(ctx, "ldd", registryBinary).Output()
	if err != nil {
		// A static binary: ldd says "not a dynamic executable" and fails.
		return files, nil //nolint:nilerr // nothing more to copy
	}
	for _, line := range strings.Split(string(out), "\n") {
		var lib string
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 3 && fields[1] == "=>":
			lib = fields[2]
		case len(fields) >= 1 && strings.HasPrefix(fields[0], "/"):
			lib = fields[0]
		}
		if lib == "" {
			continue
		}
		data, err := os.ReadFile(lib)
		if err != nil {
			return nil, fmt.Errorf("library of %s: %w", registryBinary, err)
		}
		files = append(files, imageFile{lib, 0o755, data})
	}
	return files, nil
}

// Registry is a docker-registry container on a lab's network.
type Registry struct {
	// Name is the container's name.
	Name string
	// HostAddr is where the host pushes: 127.0.0.1:PORT (loopback
	// registries are plain-HTTP-allowed by Docker by default).
	HostAddr string
	// PullAddr is where VMs pull from: RegistryPullAddr.
	PullAddr string
}

func startRegistry(ctx context.Context, name, network string, progress io.Writer) (*Registry, error) {
	image, err := BuildRegistryImage(ctx, progress)
	if err != nil {
		return nil, err
	}
	if _, err := docker(ctx, "run", "-d", "--name", name, "--network", network, "--network-alias", RegistryAlias,
		"--label", labelKey+"=1", "-p", "127.0.0.1::5000", image); err != nil {
		return nil, fmt.Errorf("start registry: %w", err)
	}
	r := &Registry{Name: name, PullAddr: RegistryPullAddr}
	if r.HostAddr, err = hostPort(ctx, name, "5000/tcp"); err != nil {
		return r, fmt.Errorf("start registry: %w", err)
	}
	if err := r.waitUp(ctx, 20*time.Second); err != nil {
		return r, err
	}
	return r, nil
}

func (r *Registry) waitUp(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	url := "http://" + r.HostAddr + "/v2/"
	var last error
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("registry %s not up after %s: %w", url, timeout, last)
}

// Push tags a local image for the registry, pushes it from the host's
// engine and returns the reference VMs pull it by: PullAddr/repo@sha256:….
func (r *Registry) Push(ctx context.Context, localImage, repo string) (string, error) {
	target := r.HostAddr + "/" + repo + ":push"
	if _, err := docker(ctx, "tag", localImage, target); err != nil {
		return "", fmt.Errorf("push %s: %w", localImage, err)
	}
	defer func() { _, _ = docker(context.WithoutCancel(ctx), "rmi", target) }()
	out, err := docker(ctx, "push", target)
	if err != nil {
		return "", fmt.Errorf("push %s: %w", localImage, err)
	}
	// The last line reads "push: digest: sha256:… size: N".
	i := strings.Index(out, "digest: sha256:")
	if i < 0 {
		return "", fmt.Errorf("push %s: no digest in the output: %q", localImage, out)
	}
	digest := strings.Fields(out[i+len("digest: "):])[0]
	return r.PullAddr + "/" + repo + "@" + digest, nil
}

// Stop stops the registry container (it can be started again): the
// "registry down" case.
func (r *Registry) Stop(ctx context.Context) error {
	_, err := docker(ctx, "stop", "-t", "1", r.Name)
	return err
}

// Start starts a stopped registry again and waits until it answers. The
// engine publishes it on a new loopback port: HostAddr changes (PullAddr,
// what VMs use, does not).
func (r *Registry) Start(ctx context.Context) error {
	if _, err := docker(ctx, "start", r.Name); err != nil {
		return fmt.Errorf("start registry: %w", err)
	}
	addr, err := hostPort(ctx, r.Name, "5000/tcp")
	if err != nil {
		return fmt.Errorf("start registry: %w", err)
	}
	r.HostAddr = addr
	return r.waitUp(ctx, 20*time.Second)
}
