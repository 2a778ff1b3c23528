package deploy_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/pipeline/deploy"
	"github.com/minitwit-cd/kit/pipeline/internal/vmtest"
	"github.com/minitwit-cd/kit/pipeline/vm"
)

// The deploy's numbers, on the real VM stand-in. Run them a few times
// each, not at full concurrency:
//
//	go test -run '^$' -bench . -benchtime 3x ./pipeline/deploy
//
// MINITWIT_VM_BENCH_COLD=1 adds the cold VM image build (it rebuilds the
// cached image: minutes).

// BenchmarkVMImageCold is the VM image built from nothing: debootstrap,
// docker import, provision.sh.
func BenchmarkVMImageCold(b *testing.B) {
	if os.Getenv("MINITWIT_VM_BENCH_COLD") != "1" {
		b.Skip("set MINITWIT_VM_BENCH_COLD=1 to rebuild the VM image (about 2-3 minutes per run)")
	}
	vmtest.Fixtures(b)
	for b.Loop() {
		img, err := vm.BuildImage(context.Background(), vm.ImageOptions{Rebuild: true})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(img.BaseTime.Seconds(), "debootstrap-s")
		b.ReportMetric(img.ProvisionTime.Seconds(), "provision-s")
	}
}

// BenchmarkVMStart is a warm start: a VM from the cached image until sshd,
// nginx and Docker are up (then removed, outside the timer).
func BenchmarkVMStart(b *testing.B) {
	img := vmtest.Fixtures(b)
	ctx := context.Background()
	lab, err := vm.NewLab(ctx, vm.LabOptions{Image: img.Ref})
	if err != nil {
		b.Fatal(err)
	}
	defer lab.Close()
	i := 0
	for b.Loop() {
		i++
		v, err := lab.StartVM(ctx, vm.VMOptions{Name: "bench" + string(rune('a'+i%26))})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := v.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkBlueGreen is one blue-green deploy (A and B alternately, the
// image already on the VM after the first two) under 50 req/s on nginx:
// serving-s is deploy start to the new version answering through nginx,
// failed-req the requests that failed meanwhile.
func BenchmarkBlueGreen(b *testing.B) {
	e := newEnv(b, "prod", commitA, commitB)
	e.deploy(commitA)
	e.deploy(commitB)
	next := commitA
	var serving, total time.Duration
	failed, sent := 0, 0
	for b.Loop() {
		l := e.startLoad(50)
		res := e.deploy(next)
		n, f := l.stop()
		serving += res.Timings.Serving
		total += res.Timings.Total
		sent += n
		failed += len(f)
		if next == commitA {
			next = commitB
		} else {
			next = commitA
		}
	}
	b.ReportMetric(serving.Seconds()/float64(b.N), "serving-s")
	b.ReportMetric(total.Seconds()/float64(b.N), "total-s")
	b.ReportMetric(float64(failed), "failed-req")
	b.ReportMetric(float64(sent), "sent-req")
}

// BenchmarkFirstPull is a deploy whose image the VM has not pulled yet.
func BenchmarkFirstPull(b *testing.B) {
	var serving time.Duration
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, "prod", commitA)
		b.StartTimer()
		res := e.deploy(commitA)
		serving += res.Timings.Serving
	}
	b.ReportMetric(serving.Seconds()/float64(b.N), "serving-s")
}

// BenchmarkRollback is a rollback after a deploy (the deploy outside the
// timer): serving-s is rollback start to the previous version answering
// through nginx.
func BenchmarkRollback(b *testing.B) {
	e := newEnv(b, "prod", commitA, commitB)
	e.deploy(commitA)
	var serving time.Duration
	for b.Loop() {
		b.StopTimer()
		e.deploy(commitB)
		b.StartTimer()
		res, err := deploy.Rollback(context.Background(), e.target, deploy.Options{Env: "prod"})
		if err != nil {
			b.Fatal(err)
		}
		serving += res.Timings.Serving
	}
	b.ReportMetric(serving.Seconds()/float64(b.N), "serving-s")
}
