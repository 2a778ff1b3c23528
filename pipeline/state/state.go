// Package state is the pipeline's memory between steps: a small JSON file,
// .pipeline/state.json by default, that each step reads to find the
// previous step's outputs (the commit, the binaries, the test result, the
// images and their digests, the deployments) and writes its own into.
//
// Every step runs alone (`pipeline image` after `pipeline build` in another
// process, another CI job), so the file is the only contract between them:
// the Require* methods turn a missing or stale previous step into a
// one-line error that names it.
package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// DefaultPath is where the state file lives, relative to the repository
// root.
const DefaultPath = ".pipeline/state.json"

// SchemaVersion is the file format's version; a file of another version is
// refused rather than misread.
const SchemaVersion = 1

// State is the content of the state file.
type State struct {
	// Schema is SchemaVersion.
	Schema int `json:"schema"`
	// Commit is the full git commit every step works on.
	Commit string `json:"commit"`
	// Version is the version stamped into the binaries and labels.
	Version string `json:"version"`
	// CommitTime is the commit's committer time: the build date of the
	// binaries and the images' creation time, so a rebuild is identical.
	CommitTime time.Time `json:"commit_time"`
	// Source is the repository's URL (org.opencontainers.image.source).
	Source string `json:"source,omitempty"`

	Build   *Build            `json:"build,omitempty"`
	Test    *Test             `json:"test,omitempty"`
	Images  map[string]Image  `json:"images,omitempty"`
	Publish *Publish          `json:"publish,omitempty"`
	Deploys map[string]Deploy `json:"deploys,omitempty"`
	Smoke   map[string]Smoke  `json:"smoke,omitempty"`
	// Recorded lists what was sent to the tracker, in order.
	Recorded []Record `json:"recorded,omitempty"`
}

// Build is the output of `pipeline build`.
type Build struct {
	// Dir holds the binaries.
	Dir string `json:"dir"`
	// Binaries maps a program (minitwit, simulator, tracker, pipeline) to
	// its binary.
	Binaries map[string]Binary `json:"binaries"`
	Seconds  float64           `json:"seconds"`
}

// Binary is one built program.
type Binary struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Test is the output of `pipeline test`.
type Test struct {
	Passed   bool     `json:"passed"`
	Packages []string `json:"packages"`
	JUnit    string   `json:"junit"`
	Coverage string   `json:"coverage"`
	// CoveragePercent is the statement coverage of the tested packages.
	CoveragePercent float64 `json:"coverage_percent"`
	Tests           int     `json:"tests"`
	Failures        int     `json:"failures"`
	Skipped         int     `json:"skipped"`
	Seconds         float64 `json:"seconds"`
}

// Image is one image written by `pipeline image`.
type Image struct {
	// Layout is the OCI image layout directory holding it.
	Layout string `json:"layout"`
	// Digest is the manifest digest (sha256:…): the same commit gives the
	// same digest.
	Digest string `json:"digest"`
	// Size is the compressed size: config, layers and manifest.
	Size int64 `json:"size"`
}

// Publish is the output of `pipeline publish`.
type Publish struct {
	// Registry is where the images were pushed (HOST[:PORT]).
	Registry string `json:"registry"`
	// PullRegistry is the same registry as the deploy targets name it
	// (a VM on a Docker network pulls from registry:5000 what the host
	// pushed to 127.0.0.1:PORT); it is Registry when they agree.
	PullRegistry string `json:"pull_registry"`
	// Refs maps an image name to its reference for deploys, pinned by
	// the digest the registry returned (PULLREGISTRY/minitwit@sha256:…).
	Refs map[string]string `json:"refs"`
	// Failed is set when a push failed: what was pushed before is in Refs.
	Failed string `json:"failed,omitempty"`
}

// Deploy is the last deployment to one environment.
type Deploy struct {
	Ref        string    `json:"ref"`
	Host       string    `json:"host"`
	Replicas   int       `json:"replicas,omitempty"`
	Status     string    `json:"status"`
	Deployment int       `json:"deployment,omitempty"`
	At         time.Time `json:"at"`
}

// Smoke is a smoke run against one target.
type Smoke struct {
	Target string `json:"target"`
	Report string `json:"report"`
	Errors int64  `json:"errors"`
	Passed bool   `json:"passed"`
}

// Record is one thing sent to the tracker (or not, when none was
// configured).
type Record struct {
	Step string `json:"step"`
	// What was recorded: "artifact minitwit@sha256:…", "junit evidence" …
	What string `json:"what"`
	// Where: the tracker's URL, or "" when nothing was recorded.
	Where string    `json:"where,omitempty"`
	At    time.Time `json:"at"`
}

// ErrNoState is returned by Load when the file does not exist.
var ErrNoState = errors.New("no pipeline state")

// New starts the state of a commit.
func New(commit, version string, commitTime time.Time, source string) *State {
	return &State{Schema: SchemaVersion, Commit: commit, Version: version, CommitTime: commitTime.UTC(), Source: source}
}

// Load reads the state file at path. A missing file is ErrNoState (wrapped
// with the path and the step to run); a file that is not a state file is
// an error naming the path and the problem.
func Load(path string) (*State, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s: run `pipeline build` first", ErrNoState, path)
	}
	if err != nil {
		return nil, fmt.Errorf("state: read %s: %w", path, err)
	}
	var s State
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("state file %s is malformed: %s (delete it and run `pipeline build`)", path, describeJSONError(raw, err))
	}
	if s.Schema != SchemaVersion {
		return nil, fmt.Errorf("state file %s has schema %d, want %d (delete it and run `pipeline build`)", path, s.Schema, SchemaVersion)
	}
	if !commitRE.MatchString(s.Commit) {
		return nil, fmt.Errorf("state file %s is malformed: commit %q is not a git commit", path, s.Commit)
	}
	return &s, nil
}

var commitRE = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

// describeJSONError gives a decoding error with the line it happened on.
func describeJSONError(raw []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if off >= 0 {
		line := 1 + bytes.Count(raw[:min(int(off), len(raw))], []byte("\n"))
		return fmt.Sprintf("line %d: %s", line, msg)
	}
	return msg
}

// Save writes s to path atomically (a temp file renamed over it), so a
// step interrupted while saving leaves the previous state intact.
func (s *State) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("state: save %s: %w", path, err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("state: encode: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".state-*.json")
	if err != nil {
		return fmt.Errorf("state: save %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("state: save %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("state: save %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("state: save %s: %w", path, err)
	}
	return nil
}

// ForCommit checks the state belongs to commit (the checkout's HEAD): a
// step must not package binaries of another commit.
func (s *State) ForCommit(commit string) error {
	if s.Commit != commit {
		return fmt.Errorf("the pipeline state is for commit %.12s but HEAD is %.12s: run `pipeline build` first", s.Commit, commit)
	}
	return nil
}

// RequireBuild returns the build, or an error naming the missing step.
func (s *State) RequireBuild(programs ...string) (*Build, error) {
	if s.Build == nil {
		return nil, fmt.Errorf("no build of commit %.12s in the state: run `pipeline build` first", s.Commit)
	}
	for _, p := range programs {
		b, ok := s.Build.Binaries[p]
		if !ok {
			return nil, fmt.Errorf("the build of commit %.12s has no %s binary: run `pipeline build` first", s.Commit, p)
		}
		if _, err := os.Stat(b.Path); err != nil {
			return nil, fmt.Errorf("the %s binary %s is gone: run `pipeline build` again", p, b.Path)
		}
	}
	return s.Build, nil
}

// RequirePassedTests returns the test result when the tests ran and
// passed; nothing may be published otherwise.
func (s *State) RequirePassedTests() (*Test, error) {
	if s.Test == nil {
		return nil, fmt.Errorf("the tests of commit %.12s have not run: run `pipeline test` first", s.Commit)
	}
	if !s.Test.Passed {
		return nil, fmt.Errorf("the tests of commit %.12s failed (%d of %d): nothing is published", s.Commit, s.Test.Failures, s.Test.Tests)
	}
	return s.Test, nil
}

// RequireImages returns the named images.
func (s *State) RequireImages(names ...string) (map[string]Image, error) {
	out := map[string]Image{}
	for _, n := range names {
		im, ok := s.Images[n]
		if !ok {
			return nil, fmt.Errorf("no %s image of commit %.12s in the state: run `pipeline image` first", n, s.Commit)
		}
		out[n] = im
	}
	return out, nil
}

// RequirePublished returns the pushed, digest-pinned reference of image
// name.
func (s *State) RequirePublished(name string) (string, error) {
	if s.Publish == nil {
		return "", fmt.Errorf("commit %.12s is not published: run `pipeline publish` first", s.Commit)
	}
	ref, ok := s.Publish.Refs[name]
	if !ok {
		return "", fmt.Errorf("no published %s image of commit %.12s: run `pipeline publish` first", name, s.Commit)
	}
	if err := CheckDigestRef(ref); err != nil {
		return "", fmt.Errorf("state: published %s: %w", name, err)
	}
	return ref, nil
}

var digestRefRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.:_/-]*@sha256:[0-9a-f]{64}$`)

// CheckDigestRef accepts only an image reference pinned by digest
// (HOST/NAME@sha256:<64 hex>): a tag can move, a digest cannot.
func CheckDigestRef(ref string) error {
	if !digestRefRE.MatchString(ref) {
		return fmt.Errorf("image reference %q is not pinned by digest: want NAME@sha256:<64 hex digits>", ref)
	}
	return nil
}

// EnvironmentsFile is the checkout's list of environments and their
// settings, relative to the repository root: a change of replicas is a
// commit like any other.
const EnvironmentsFile = "pipeline/environments.json"

// Environment is one environment's settings.
type Environment struct {
	// Replicas is the number of app containers behind nginx.
	Replicas    int    `json:"replicas"`
	Description string `json:"description,omitempty"`
}

// Environments are a checkout's environments by name.
type Environments map[string]Environment

// LoadEnvironments reads EnvironmentsFile of the checkout at dir.
func LoadEnvironments(dir string) (Environments, error) {
	p := filepath.Join(dir, EnvironmentsFile)
	raw, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("environments: %w", err)
	}
	var envs Environments
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&envs); err != nil {
		return nil, fmt.Errorf("environments file %s is malformed: %s", p, describeJSONError(raw, err))
	}
	for name, e := range envs {
		if e.Replicas < 1 || e.Replicas > 20 {
			return nil, fmt.Errorf("environments file %s: %s has %d replicas, want 1 to 20", p, name, e.Replicas)
		}
	}
	return envs, nil
}

// Names returns the environments' names, sorted.
func (e Environments) Names() []string {
	var out []string
	for n := range e {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Get returns environment name, or an error naming the known ones.
func (e Environments) Get(name string) (Environment, error) {
	env, ok := e[name]
	if !ok {
		return Environment{}, fmt.Errorf("unknown environment %q: want one of %s (%s)", name, strings.Join(e.Names(), ", "), EnvironmentsFile)
	}
	return env, nil
}

// AddRecord notes something sent to the tracker (where "" when nothing
// was).
func (s *State) AddRecord(step, what, where string, at time.Time) {
	s.Recorded = append(s.Recorded, Record{Step: step, What: what, Where: where, At: at.UTC()})
}

// Programs returns the built programs' names, sorted.
func (b *Build) Programs() []string {
	var out []string
	for p := range b.Binaries {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
