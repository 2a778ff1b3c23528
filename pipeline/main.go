// Command pipeline is the kit's CI/CD pipeline as Go code: build, test,
// image, publish, a gated blue-green deploy to a VM over SSH, smoke, and
// weekly releases, every step recorded in the tracker. It runs the same on
// a laptop, in CI and in GitHub Actions. See pipeline --help.
package main

import (
	"os"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/pipeline/internal/cmd"
)

func main() { os.Exit(cli.Main(cmd.Program())) }
