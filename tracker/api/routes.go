package api

// Routes lists the routes the server offers. {org}, {flow}, {env}, {trail} are path
// segments; reads of a public flow's data may be anonymous, everything else
// needs "Authorization: Bearer TOKEN" for {org}. Success is 200, or 201 when
// something was created; errors are 4xx/5xx with an Error body.
//
//	GET  /ready                                         200 "ready" when the database answers
//	GET  /version                                       buildinfo.Info
//	GET  /metrics                                       Prometheus text
//	PUT  /api/v2/flows/{org}                            Flow -> Flow (201 created / 200 updated)
//	PUT  /api/v2/flows/{org}/template_file              multipart data_json (Flow) + template_file (YAML) -> Flow
//	GET  /api/v2/flows/{org}                            []Flow
//	GET  /api/v2/flows/{org}/{flow}                     Flow
//	GET  /api/v2/flows/{org}/{flow}/metrics?days=30     []DORAMetrics
//	PUT  /api/v2/environments/{org}                     Environment -> Environment
//	GET  /api/v2/environments/{org}                     []Environment
//	GET  /api/v2/environments/{org}/{env}               Environment
//	GET  /api/v2/environments/{org}/{env}/events?page=&per_page=&reverse=   []Event (X-Total-Count)
//	PUT  /api/v2/environments/{org}/{env}/report/{docker|server|K8S|ECS|...}  SnapshotReportRequest -> SnapshotReportResponse (201 new snapshot / 200 unchanged)
//	PUT  /api/v2/trails/{org}/{flow}                    Trail (JSON body or multipart data_json) -> Trail
//	POST /api/v2/artifacts/{org}/{flow}                 ArtifactRequest -> Artifact (201 / 200 when already known)
//	GET  /api/v2/artifacts/{org}?flow_name=&page=&per_page=                 []Artifact (X-Total-Count)
//	GET  /api/v2/artifacts/{org}/{flow}/fingerprint/{fp}                    Artifact (prefix accepted)
//	GET  /api/v2/artifacts/{org}/{flow}/commit_sha/{sha}                    []Artifact (prefix accepted)
//	POST /api/v2/attestations/{org}/{flow}/trail/{trail}/{generic|junit|simulator|coverage}
//	                                                    multipart data_json (AttestationData) [+ attachment_file] [+ junit_file] -> EvidenceSummary (201)
//	POST /api/v2/deployments/{org}/{flow}               DeploymentRequest -> Deployment (201)
//	GET  /api/v2/deployments/{org}/{flow}               []Deployment
//	PUT  /api/v2/deployments/{org}/{flow}/{number}/status                   DeploymentStatusRequest -> Deployment
//	GET  /api/v2/snapshots/{org}/{env}?page=&per_page=  []SnapshotSummary, newest first (X-Total-Count)
//	GET  /api/v2/snapshots/{org}/{env}/{expr}           Snapshot; expr -1, N, -N, %23N, ~N, @{YYYY-MM-DDTHH:MM:SS}
//	GET  /api/v2/env-diff/{org}?snappish1=ENV#N&snappish2=ENV~M             SnapshotDiff
//
// Request bodies are capped (server.Options.MaxBodyBytes, 10 MB by
// default); a larger one is 413 with a message.
const Routes = "see the doc comment of Routes"
