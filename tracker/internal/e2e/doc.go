// Package e2e holds the tracker's end-to-end tests: they start the real
// server (tracker serve on 127.0.0.1:0 with a SQLite file in a temp dir)
// and drive it only through the tracker command line, replaying the story
// of the spec (a commit followed to its running replicas) and the bad input
// a user can give. Expected output lives in golden files under testdata
// (go test -update rewrites them); the clock and time zone are fixed so
// they are stable.
package e2e
