package model

import "time"

// Deployment statuses. A deployment is "succeeded" unless marked otherwise;
// failed and rolled-back deployments feed DORA's change failure rate and
// time to recovery.
const (
	DeploymentSucceeded  = "succeeded"
	DeploymentFailed     = "failed"
	DeploymentRolledBack = "rolled_back"
)

// Deployment is an announced intent to run an artifact in an environment,
// numbered per flow from 1.
type Deployment struct {
	ID           int64
	Flow         string
	Number       int
	Fingerprint  string
	ArtifactName string
	GitCommit    string
	Environment  string
	Description  string
	BuildURL     string
	Approved     bool
	Status       string
	CreatedAt    time.Time
	// StatusAt is when Status was last set (the recovery or failure time).
	StatusAt time.Time
}

// ValidateDeploymentStatus checks s, with "" meaning succeeded.
func ValidateDeploymentStatus(s string) (string, error) {
	switch s {
	case "":
		return DeploymentSucceeded, nil
	case DeploymentSucceeded, DeploymentFailed, DeploymentRolledBack:
		return s, nil
	}
	return "", Errorf(EINVALID, "invalid deployment status %q: want succeeded, failed or rolled_back", s)
}

// Failed reports whether the deployment counts as a failed change.
func (d Deployment) Failed() bool {
	return d.Status == DeploymentFailed || d.Status == DeploymentRolledBack
}

// Validate checks d and fills its default status.
func (d *Deployment) Validate() error {
	if err := ValidateName("flow", d.Flow); err != nil {
		return err
	}
	fp, err := NormalizeFingerprint(d.Fingerprint)
	if err != nil {
		return err
	}
	d.Fingerprint = fp
	if err := ValidateName("environment", d.Environment); err != nil {
		return err
	}
	d.Status, err = ValidateDeploymentStatus(d.Status)
	return err
}

// DeploymentFilter selects deployments, newest first.
type DeploymentFilter struct {
	Flow        string
	Fingerprint string
	Environment string
}
