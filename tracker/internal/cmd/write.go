package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/minitwit-cd/kit/tracker/client"
	"github.com/minitwit-cd/kit/tracker/model"
)

// send either prints the request (--dry-run) or sends it and reports the
// result with done.
func send(ctx context.Context, f *Factory, c *client.Client, what string, dry bool, r client.Request, buildErr error, out any, done func(created bool)) error {
	if buildErr != nil {
		return buildErr
	}
	if dry {
		return dryRun(f.IO.Out, r)
	}
	status, err := c.Do(ctx, r, out)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	done(status == 201)
	return nil
}

func verb(created bool) string {
	if created {
		return "created"
	}
	return "updated"
}

func requireFlow(flow string) error {
	if flow == "" {
		return usageErrorf("--flow is required")
	}
	if err := model.ValidateName("flow", flow); err != nil {
		return usageErrorf("%s", model.ErrorMessage(err))
	}
	return nil
}

func readJSONFile(path, flag string) (json.RawMessage, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	if !json.Valid(raw) {
		return nil, usageErrorf("%s %s is not valid JSON", flag, path)
	}
	return json.RawMessage(raw), nil
}
