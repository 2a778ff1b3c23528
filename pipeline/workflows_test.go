package main_test

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v3"

	"github.com/minitwit-cd/kit/internal/testenv"
)

// workflow is the part of a GitHub Actions workflow the checks read.
type workflow struct {
	Permissions any `yaml:"permissions"`
	Concurrency any `yaml:"concurrency"`
	Jobs        map[string]struct {
		Permissions any `yaml:"permissions"`
		Steps       []struct {
			Name string `yaml:"name"`
			Uses string `yaml:"uses"`
			Run  string `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func workflowFiles(t *testing.T) map[string][]byte {
	t.Helper()
	root := testenv.RepoRoot(t)
	paths, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no workflows in .github/workflows: %v", err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = b
	}
	return out
}

// TestWorkflowsPassActionlint lints every workflow with actionlint (and
// shellcheck on the run: scripts).
func TestWorkflowsPassActionlint(t *testing.T) {
	shellcheck := testenv.Binary(t, "shellcheck")
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{Shellcheck: shellcheck})
	if err != nil {
		t.Fatal(err)
	}
	for path, b := range workflowFiles(t) {
		errs, err := l.Lint(path, b, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range errs {
			t.Errorf("%s:%d:%d: %s [%s]", filepath.Base(path), e.Line, e.Column, e.Message, e.Kind)
		}
	}
}

var (
	pinnedRE = regexp.MustCompile(`^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$`)
	// allowed are the commands a run: step may call: the pipeline, the Go
	// toolchain, git for identity, and the standard tools that place
	// secrets in files or install packages. Anything else is logic that
	// belongs in tested Go.
	allowed = map[string]*regexp.Regexp{
		"go":      regexp.MustCompile(`^go (run \./pipeline( |$)|run [\w./-]+@v[\d.]+ |install [\w./-]+@v[\d.]+$|vet \./\.\.\.$|mod tidy -diff$)`),
		"gofmt":   regexp.MustCompile(`^gofmt -l \.$`),
		"test":    regexp.MustCompile(`^test -z "\$\(gofmt -l \.\)"$`),
		"sudo":    regexp.MustCompile(`^sudo apt-get (update -qq|install -y -qq [\w. -]+)$`),
		"git":     regexp.MustCompile(`^git config user\.(name|email) `),
		"install": regexp.MustCompile(`^install -m 700 -d ~/\.ssh$`),
		"printf":  regexp.MustCompile(`^printf '%s\\n' "\$[A-Z_]+" > ~/\.ssh/[\w_]+$`),
		"chmod":   regexp.MustCompile(`^chmod 600 ~/\.ssh/[\w_]+$`),
	}
)

// TestWorkflowsStayThin: actions are pinned by commit SHA, permissions are
// declared, deploys and releases never overlap, host keys are never
// scanned, and every run: step only calls the pipeline or a standard tool.
func TestWorkflowsStayThin(t *testing.T) {
	for path, b := range workflowFiles(t) {
		name := filepath.Base(path)
		var w workflow
		if err := yaml.Unmarshal(b, &w); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if w.Permissions == nil {
			t.Errorf("%s: no top-level permissions: (the default token may write everything)", name)
		}
		if strings.Contains(string(b), "write-all") {
			t.Errorf("%s: permissions write-all", name)
		}
		if (name == "cd.yml" || name == "release.yml") && w.Concurrency == nil {
			t.Errorf("%s: no concurrency group: two runs could overlap", name)
		}
		runs := 0
		for job, j := range w.Jobs {
			for _, s := range j.Steps {
				if s.Uses != "" && !pinnedRE.MatchString(s.Uses) {
					t.Errorf("%s job %s: %q is not pinned by a commit SHA", name, job, s.Uses)
				}
				for _, bad := range []string{"ssh-keyscan", "StrictHostKeyChecking", "curl ", "wget "} {
					if strings.Contains(s.Run, bad) {
						t.Errorf("%s job %s step %q: uses %q", name, job, s.Name, bad)
					}
				}
				for _, line := range strings.Split(strings.TrimSpace(s.Run), "\n") {
					for _, c := range strings.Split(line, "&&") {
						if c = strings.TrimSpace(c); c == "" {
							continue
						}
						runs++
						word, _, _ := strings.Cut(c, " ")
						if re, ok := allowed[word]; !ok || !re.MatchString(c) {
							t.Errorf("%s job %s step %q: %q is neither the pipeline nor a standard tool", name, job, s.Name, c)
						}
					}
				}
			}
		}
		if runs == 0 {
			t.Errorf("%s: no run: steps", name)
		}
	}
	pipelineCalls := 0
	for _, b := range workflowFiles(t) {
		pipelineCalls += strings.Count(string(b), "go run ./pipeline ")
	}
	if pipelineCalls < 5 {
		t.Errorf("the workflows call the pipeline %d times; build, test, run, deploy, smoke and release should each be one", pipelineCalls)
	}
}

// TestWorkflowChecksCatchViolations feeds the thin-workflow rules a step
// that does its own work, to show they would fail.
func TestWorkflowChecksCatchViolations(t *testing.T) {
	for _, c := range []string{`docker build -t x .`, `go build ./...`, `ssh deploy@host docker-compose up -d`, `bash scripts/deploy.sh`} {
		word, _, _ := strings.Cut(c, " ")
		if re, ok := allowed[word]; ok && re.MatchString(c) {
			t.Errorf("%q passes the allow list", c)
		}
	}
	if pinnedRE.MatchString("actions/checkout@v4") {
		t.Error("a tag passes as a pin")
	}
}
