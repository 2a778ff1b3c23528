package vm_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

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

func TestVMBoots(t *testing.T) {
	ref := vmImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lab, err := vm.NewLab(ctx, vm.LabOptions{Image: ref, Progress: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Error(err)
		}
	})
	v, err := lab.StartVM(ctx, vm.VMOptions{Name: "beta"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := v.Exec(ctx, "systemctl", "is-system-running")
	t.Logf("is-system-running: %s %v", out, err)
	failed, _ := v.Exec(ctx, "systemctl", "--failed", "--no-legend")
	t.Logf("failed: %s", failed)
	if !strings.HasPrefix(v.KnownHosts(), "[127.0.0.1]:") {
		t.Errorf("known_hosts line %q", v.KnownHosts())
	}
}
