package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minitwit-cd/kit/internal/testenv"
)

// TestVagrantfileValidates runs `vagrant validate` on vagrant/Vagrantfile
// (both machines; provider options are checked by their plugins at `up`).
// No box is fetched and Vagrant's version check is off.
func TestVagrantfileValidates(t *testing.T) {
	vagrant := testenv.Binary(t, "vagrant")
	dir := filepath.Join(testenv.RepoRoot(t), "vagrant")
	cmd := exec.Command(vagrant, "validate", "--ignore-provider")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"VAGRANT_CHECKPOINT_DISABLE=1", "VAGRANT_BOX_UPDATE_CHECK_DISABLE=1",
		"VAGRANT_DEFAULT_PROVIDER=docker", // any installed provider: validation only
		"VAGRANT_DOTFILE_PATH="+t.TempDir(), "VAGRANT_HOME="+t.TempDir(),
		"DEPLOY_PUBLIC_KEY_FILE=", "DIGITAL_OCEAN_TOKEN=x", "SSH_KEY_NAME=x")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "validated successfully") {
		t.Fatalf("vagrant validate: %v\n%s", err, out)
	}
}

// TestShellScriptsPassShellcheck checks every shell script of the kit.
func TestShellScriptsPassShellcheck(t *testing.T) {
	shellcheck := testenv.Binary(t, "shellcheck")
	root := testenv.RepoRoot(t)
	var scripts []string
	for _, g := range []string{"vagrant/*.sh", "scripts/*.sh", ".ci/run"} {
		m, _ := filepath.Glob(filepath.Join(root, g))
		scripts = append(scripts, m...)
	}
	if len(scripts) < 3 {
		t.Fatalf("found only %v", scripts)
	}
	out, err := exec.Command(shellcheck, append([]string{"--severity=warning"}, scripts...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("shellcheck: %v\n%s", err, out)
	}
}

// TestGoReleaserConfigChecks runs `goreleaser check` on .goreleaser.yaml.
func TestGoReleaserConfigChecks(t *testing.T) {
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	goreleaser := testenv.Binary(t, "goreleaser", filepath.Join(strings.TrimSpace(string(gopath)), "bin", "goreleaser"))
	cmd := exec.Command(goreleaser, "check")
	cmd.Dir = testenv.RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("goreleaser check: %v\n%s", err, out)
	}
}
