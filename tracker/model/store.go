package model

import (
	"context"
	"time"
)

// Store is everything the tracker keeps. tracker/sqlite and tracker/postgres
// implement it and pass one contract suite (tracker/internal/storetest).
//
// Names (org, flow, environment) are passed as strings; an unknown one is an
// ENOTFOUND error naming it. Writes that the spec makes idempotent return
// created=false and the existing record when repeated. Every time stored
// comes from the argument (callers own the clock); a zero time means now.
type Store interface {
	// CreateOrg creates an org and its first API token, returned once.
	CreateOrg(ctx context.Context, name string) (token string, err error)
	// CreateToken adds another API token to an existing org.
	CreateToken(ctx context.Context, org string) (token string, err error)
	// FindOrg returns an org by name.
	FindOrg(ctx context.Context, name string) (Org, error)
	// ListOrgs returns every org, by name.
	ListOrgs(ctx context.Context) ([]Org, error)
	// Authenticate checks token against org's tokens: ENOTFOUND for an
	// unknown org, EUNAUTHORIZED for a wrong token.
	Authenticate(ctx context.Context, org, token string) error

	// PutFlow creates the flow or updates its description, visibility and
	// template.
	PutFlow(ctx context.Context, org string, f Flow) (Flow, bool, error)
	FindFlow(ctx context.Context, org, name string) (Flow, error)
	ListFlows(ctx context.Context, org string) ([]Flow, error)

	// PutTrail begins a trail (idempotent by flow and name).
	PutTrail(ctx context.Context, org string, t Trail) (Trail, bool, error)
	FindTrail(ctx context.Context, org, flow, name string) (Trail, error)
	// ListTrails returns one page of trails, newest first, and the total.
	ListTrails(ctx context.Context, org string, f TrailFilter) ([]Trail, int, error)

	// PutArtifact records an artifact; the same fingerprint in the same
	// flow again returns the existing one with created=false.
	PutArtifact(ctx context.Context, org string, a Artifact) (Artifact, bool, error)
	// FindArtifact finds the flow's artifact whose fingerprint starts with
	// prefix: ENOTFOUND if none, EINVALID if the prefix is ambiguous.
	FindArtifact(ctx context.Context, org, flow, fingerprintPrefix string) (Artifact, error)
	// FindArtifactsByCommit returns the flow's artifacts whose git commit
	// starts with prefix, newest first (ENOTFOUND if none).
	FindArtifactsByCommit(ctx context.Context, org, flow, commitPrefix string) ([]Artifact, error)
	// ListArtifacts returns one page of artifacts, newest first, and the
	// total number matching.
	ListArtifacts(ctx context.Context, org string, f ArtifactFilter) ([]Artifact, int, error)

	// AddEvidence records an attestation on an artifact of the flow (which
	// must exist) or on a trail (created if missing).
	AddEvidence(ctx context.Context, org string, e Evidence) (Evidence, error)
	// ListEvidence returns evidence, oldest first, with files.
	ListEvidence(ctx context.Context, org string, f EvidenceFilter) ([]Evidence, error)
	// FindEvidence returns one attestation of the org by id, with files.
	FindEvidence(ctx context.Context, org string, id int64) (Evidence, error)

	// PutAttestationType creates a custom attestation type or replaces
	// its description, schema and rules (callers check it compiles).
	PutAttestationType(ctx context.Context, org string, t AttestationType) (AttestationType, bool, error)
	FindAttestationType(ctx context.Context, org, name string) (AttestationType, error)

	// CreateDeployment numbers a new deployment of an existing artifact of
	// the flow to an existing environment.
	CreateDeployment(ctx context.Context, org string, d Deployment) (Deployment, error)
	// SetDeploymentStatus marks deployment #number of the flow (e.g.
	// failed or rolled_back).
	SetDeploymentStatus(ctx context.Context, org, flow string, number int, status string, at time.Time) (Deployment, error)
	ListDeployments(ctx context.Context, org string, f DeploymentFilter) ([]Deployment, error)

	// PutEnvironment creates the environment or updates its type,
	// description and scaling flag.
	PutEnvironment(ctx context.Context, org string, e Environment) (Environment, bool, error)
	FindEnvironment(ctx context.Context, org, name string) (Environment, error)
	ListEnvironments(ctx context.Context, org string) ([]Environment, error)

	// ReportSnapshot records what runs in env at time at. A set equal to
	// the latest snapshot's (by SnapshotHash) only refreshes the
	// environment's last-reported time; otherwise it atomically creates
	// snapshot latest+1 and its derived events. Concurrent reports never
	// duplicate or skip an index.
	ReportSnapshot(ctx context.Context, org, env string, running []RunningArtifact, at time.Time) (SnapshotReport, error)
	// FindSnapshot returns one snapshot with its artifacts joined to what
	// the org knows of each fingerprint and annotated against the
	// previous snapshot. An index past the end is ENOTFOUND saying how
	// many snapshots exist.
	FindSnapshot(ctx context.Context, org, env string, ref SnapshotRef) (Snapshot, error)
	// ListSnapshots returns one page of an environment's snapshots, newest
	// first, and the total.
	ListSnapshots(ctx context.Context, org, env string, p Page) ([]SnapshotSummary, int, error)
	// ListEvents returns derived events of the org (optionally of one
	// environment and/or fingerprint) and the total.
	ListEvents(ctx context.Context, org string, f EventFilter) ([]Event, int, error)
	// FlowStarts returns, for every environment and every artifact of the
	// flow that started running there in [from, to], the first such
	// start, with the artifact's commit and creation times: what lead
	// time is measured from, in one query however large the flow.
	FlowStarts(ctx context.Context, org, flow string, from, to time.Time) ([]FlowStart, error)

	// Ping checks the database answers (for /ready).
	Ping(ctx context.Context) error
	Close() error
}

// SnapshotDiffer is an optional Store method: the diff of two snapshots
// in fewer queries than two FindSnapshot calls. Callers use DiffSnapshots,
// which falls back to FindSnapshot and Diff.
type SnapshotDiffer interface {
	DiffSnapshots(ctx context.Context, org string, a, b SnapshotExpr) (SnapshotDiff, error)
}

// DiffSnapshots diffs two snapshot expressions of org's environments.
func DiffSnapshots(ctx context.Context, s Store, org string, a, b SnapshotExpr) (SnapshotDiff, error) {
	if d, ok := s.(SnapshotDiffer); ok {
		return d.DiffSnapshots(ctx, org, a, b)
	}
	x, err := s.FindSnapshot(ctx, org, a.Environment, a.Ref)
	if err != nil {
		return SnapshotDiff{}, err
	}
	y, err := s.FindSnapshot(ctx, org, b.Environment, b.Ref)
	if err != nil {
		return SnapshotDiff{}, err
	}
	return Diff(x, y), nil
}
