package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/minitwit-cd/kit/internal/buildinfo"
)

// NoEnv is the flag annotation that keeps a flag from being read from the
// environment (cli.SkipEnv sets it).
const NoEnv = "cli_no_env"

// SkipEnv keeps the named flags of fs from being read from the
// environment, for flags whose environment name would mislead.
func SkipEnv(fs *pflag.FlagSet, names ...string) {
	for _, n := range names {
		_ = fs.SetAnnotation(n, NoEnv, []string{"true"})
	}
}

// EnvName is the environment variable of flag name under prefix:
// "SIMULATOR_" and "max-errors" give SIMULATOR_MAX_ERRORS.
func EnvName(prefix, flag string) string {
	return prefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// Setup makes a command tree behave the kit's way, once it is complete:
//   - output goes to io, and cobra neither prints errors nor usage itself
//     (Run does, once);
//   - a flag error, an argument error and an unknown subcommand are
//     UsageErrors (exit 2), typed at their source rather than recognised
//     by their text;
//   - a command that only holds subcommands, called alone, is a usage error
//     naming them;
//   - with envPrefix set, every flag not given on the command line is read
//     from its environment variable (EnvName) before the command runs, and
//     its help says so; the value itself is never shown as a default, so a
//     token in the environment never reaches --help.
func Setup(root *cobra.Command, io *IOStreams, envPrefix string) {
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	root.SilenceUsage = true
	root.SilenceErrors = true
	if root.Version == "" {
		root.Version = buildinfo.Get().String()
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })
	bind := func(cmd *cobra.Command) error {
		if envPrefix == "" {
			return nil
		}
		return BindEnv(cmd.Flags(), envPrefix, io)
	}
	walk(root, func(c *cobra.Command) {
		typeArgs(c)
		if envPrefix != "" {
			describeEnv(c.LocalFlags(), envPrefix)
			describeEnv(c.PersistentFlags(), envPrefix)
		}
		if c == root || c.PersistentPreRunE != nil || c.PersistentPreRun != nil {
			chainPreRun(c, bind)
		}
	})
}

// walk calls fn for c and every command below it.
func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}

// typeArgs makes c's argument errors UsageErrors.
func typeArgs(c *cobra.Command) {
	if c.HasSubCommands() {
		if c.Args == nil {
			// Without it cobra would report an unknown subcommand from
			// its lookup, as an untyped error.
			c.Args = func(cmd *cobra.Command, args []string) error {
				if len(args) > 0 {
					return Usagef("unknown command %q for %q: choose one of %s", args[0], cmd.CommandPath(), subNames(cmd))
				}
				return nil
			}
		}
		if !c.Runnable() {
			c.RunE = func(cmd *cobra.Command, _ []string) error {
				return Usagef("%s needs a subcommand: %s", cmd.CommandPath(), subNames(cmd))
			}
		}
	}
	if orig := c.Args; orig != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			err := orig(cmd, args)
			var u *UsageError
			if err != nil && !errors.As(err, &u) {
				return &UsageError{Err: err}
			}
			return err
		}
	}
}

// chainPreRun runs first before c's own persistent pre-run hook (cobra runs
// only the nearest one, so every command that has one gets the chain).
func chainPreRun(c *cobra.Command, first func(*cobra.Command) error) {
	origE, orig := c.PersistentPreRunE, c.PersistentPreRun
	c.PersistentPreRun = nil
	c.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if err := first(cmd); err != nil {
			return err
		}
		switch {
		case origE != nil:
			return origE(cmd, args)
		case orig != nil:
			orig(cmd, args)
		}
		return nil
	}
}

func subNames(cmd *cobra.Command) string {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return strings.Join(names, ", ")
}

// envSkipped reports flags that are never read from the environment.
func envSkipped(f *pflag.Flag) bool {
	return f.Name == "help" || f.Name == "version" || len(f.Annotations[NoEnv]) > 0
}

// describeEnv appends "(env NAME)" to the help of each flag that lacks it.
func describeEnv(fs *pflag.FlagSet, prefix string) {
	fs.VisitAll(func(f *pflag.Flag) {
		if envSkipped(f) || strings.Contains(f.Usage, "(env ") {
			return
		}
		f.Usage += " (env " + EnvName(prefix, f.Name) + ")"
	})
}

// BindEnv sets every flag of fs not given on the command line from its
// environment variable (EnvName), if set. A value the flag rejects is a
// UsageError naming the variable.
func BindEnv(fs *pflag.FlagSet, prefix string, io *IOStreams) error {
	var firstErr error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || envSkipped(f) || firstErr != nil {
			return
		}
		name := EnvName(prefix, f.Name)
		v, ok := io.LookupEnv(name)
		if !ok || v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			firstErr = Usagef("%s=%q: %v", name, v, err)
			return
		}
		// Set marks it Changed: a value from the environment counts as
		// given, for checks of flags that exclude each other.
	})
	if firstErr != nil {
		return fmt.Errorf("environment: %w", firstErr)
	}
	return nil
}
