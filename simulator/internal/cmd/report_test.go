package cmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/minitwit-cd/kit/internal/simreport"
	"github.com/minitwit-cd/kit/internal/testenv"
)

// timingKeys are the fields of the report whose values depend on the clock;
// normalize replaces them, so the golden file pins the document's shape and
// every count.
var timingKeys = map[string]bool{"start": true, "end": true, "simulator": true, "duration_s": true, "rate_per_s": true, "bucket_s": true}

// normalize replaces clock-dependent values: timestamps and durations by
// their type's zero, the time series by its first bucket's keys.
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch {
			case k == "series":
				v[k] = []any{}
			case timingKeys[k] || (strings.HasSuffix(k, "_ms") && k != "budget_ms" && k != "threshold_ms"):
				switch x.(type) {
				case string:
					v[k] = "T"
				case float64:
					v[k] = 0
				}
			default:
				v[k] = normalize(x)
			}
		}
	case []any:
		for i := range v {
			v[i] = normalize(v[i])
		}
	}
	return v
}

// TestRunJSONReportDocument pins the document `simulator run --json` writes
// (internal/simreport): the real command replays a generated scenario
// against the real MiniTwit, and its file, timings aside, equals the golden
// one; it decodes and validates as a simreport.Report whose summary agrees
// with the detail.
func TestRunJSONReportDocument(t *testing.T) {
	target := startApp(t)
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	scen := generate(t, 12, 150, 5)
	r := run(context.Background(), false, "run", "-t", target, "-s", scen, "-c", "1", "--timeout", "10s", "--json", jsonPath)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := simreport.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the real report does not decode: %v", err)
	}
	if doc.Schema != simreport.Schema || doc.Total != 150 || doc.Errors != 0 || doc.Total != doc.Replay.Total ||
		doc.Replay.ByCommand["all"].Count != 150 || doc.VerificationPassed == nil || !*doc.VerificationPassed || !doc.Passed {
		t.Errorf("summary: %+v", doc)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(normalize(v), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	// The target's port and the scenario's path change between runs.
	got = bytes.ReplaceAll(got, []byte(target), []byte("http://TARGET"))
	got = bytes.ReplaceAll(got, []byte(scen), []byte("SCENARIO.tsv"))
	testenv.Golden(t, "report.json", append(got, '\n'))
	// Every top-level field of the type is in the file.
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(raw, &keys)
	var names []string
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	if want := "concurrency consequences errors interrupted mode passed replay resume scenario schema simulator stats target total verification verification_passed"; strings.Join(names, " ") != want {
		t.Errorf("top-level fields\n got %s\nwant %s", strings.Join(names, " "), want)
	}
}
