package cmd

import (
	"fmt"

	"github.com/minitwit-cd/kit/internal/dsn"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/minitwit-cd/kit/tracker/storage"
	"github.com/spf13/cobra"
)

func newCmdAdmin(f *Factory) *cobra.Command {
	return group("admin", "Administer the tracker's database directly", NewCmdAdminCreateOrg(f, nil))
}

// AdminCreateOrgOptions are the options of admin create-org.
type AdminCreateOrgOptions struct {
	f    *Factory
	Name string
	DB   string
}

// NewCmdAdminCreateOrg creates an org in the database and prints its API
// token, the only time it is shown (only its hash is stored).
func NewCmdAdminCreateOrg(f *Factory, runF func(*AdminCreateOrgOptions) error) *cobra.Command {
	opts := &AdminCreateOrgOptions{f: f}
	db := f.Getenv("TRACKER_DB")
	if db == "" {
		db = "tracker.db"
	}
	cmd := &cobra.Command{
		Use:   "create-org NAME",
		Short: "Create an org and print its API token (shown once)",
		Long: `Create an org in the database the server uses and print its API token on
stdout. The token is shown only this once: the database keeps its hash.`,
		Example: "  TRACKER_API_TOKEN=$(tracker admin create-org cyber-dojo --db tracker.db)",
		Args:    exactArgs(1, "an org name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			if err := model.ValidateName("org", opts.Name); err != nil {
				return usageErrorf("%s", model.ErrorMessage(err))
			}
			store, err := storage.Open(cmd.Context(), opts.DB)
			if err != nil {
				return err
			}
			defer store.Close()
			token, err := store.CreateOrg(cmd.Context(), opts.Name)
			if err != nil {
				return fmt.Errorf("create org %s: %s", opts.Name, model.ErrorMessage(err))
			}
			fmt.Fprintf(f.IO.ErrOut, "Created org %s in %s. Its API token is shown once; keep it secret:\n", opts.Name, dsn.Redact(opts.DB))
			fmt.Fprintln(f.IO.Out, token)
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.DB, "db", db, "SQLite file or postgres:// URL (env TRACKER_DB)")
	return cmd
}
