package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"
)

// Command is one genfwi command or subcommand, after cmd/go's base.Command.
// A command is either a leaf, which has Flags and does the work, or a group,
// which has Subcommands and dispatches on its first argument. Program.Run
// parses every leaf's flags the same way: GNU-style and interspersed (flags
// may follow positional arguments), "--name" or the Go-style "-name".
type Command struct {
	// Name is the word that selects the command ("simulate", "build", ...).
	Name string
	// UsageLine is the one-line synopsis after the program name, including
	// the names of the parent commands ("dataset build --out DIR ...").
	// A group's is derived from its subcommands when empty.
	UsageLine string
	// Short is the one-line description shown in command lists.
	Short string
	// Long is the full help text. The help printer adds the flags and the
	// EXIT STATUS section after it.
	Long string
	// Flags defines the leaf's flags on fs, a fresh set for every run (so no
	// flag value outlives one command line), and returns the function that
	// does the work with the parsed flags and the positional arguments.
	Flags func(fs *pflag.FlagSet) RunFunc
	// Subcommands are a group's commands, selected by the first argument.
	Subcommands []*Command
	// Choices, if set, lists the values a leaf's first positional argument
	// may take (e.g. the bench cases), listed in the help.
	Choices func() []Choice
}

// Choice is one value a command's first argument may take.
type Choice struct {
	Name, Short string
}

// RunFunc does a leaf command's work. It writes results to env.Stdout and
// progress to env.Stderr; a *UsageError result makes the program exit 2.
type RunFunc func(ctx context.Context, env *Env, args []string) error

// Env is what a command may touch besides its flags: its output streams.
// Tests construct an Env with buffers.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	// Quiet turns progress reporting off.
	Quiet bool
}

// NoArgs is the RunFunc of a leaf that takes no positional arguments: it
// refuses any with a usage error naming the command (name, e.g. "dataset
// maps") and otherwise calls run.
func NoArgs(name string, run func(ctx context.Context, env *Env) error) RunFunc {
	return func(ctx context.Context, env *Env, args []string) error {
		if len(args) != 0 {
			return Usagef("%s takes no arguments, got %q", name, args)
		}
		return run(ctx, env)
	}
}

// OneArg is the RunFunc of a leaf that takes exactly one positional
// argument, described by what (e.g. "data set directory") in the usage
// error that names the command (name) otherwise; run gets the argument.
func OneArg(name, what string, run func(ctx context.Context, env *Env, arg string) error) RunFunc {
	return func(ctx context.Context, env *Env, args []string) error {
		if len(args) != 1 {
			return Usagef("%s takes one %s, got %d arguments", name, what, len(args))
		}
		return run(ctx, env, args[0])
	}
}

// UsageError marks an error caused by a bad command line; main exits with 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a *UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// IsUsage reports whether err is (or wraps) a *UsageError.
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}

// ExitStatus is the standard EXIT STATUS section that ends every command's
// help.
const ExitStatus = `EXIT STATUS
  0 success, 1 failure, 2 usage error, 130 interrupted (SIGINT/SIGTERM).`

// WriteJSON writes v as one compact JSON object on its own line. Commands call
// it last, so that the object is the last line of stdout.
func WriteJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding JSON result: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// isGroup reports whether c dispatches to subcommands.
func (c *Command) isGroup() bool { return c.Flags == nil }

// SubcommandNames returns the names of a group's subcommands in table order.
func (c *Command) SubcommandNames() []string {
	names := make([]string, len(c.Subcommands))
	for i, s := range c.Subcommands {
		names[i] = s.Name
	}
	return names
}

// CheckChoice returns nil if arg is one of names, else a usage error that
// lists them and suggests the nearest. what names the argument ("bench case").
func CheckChoice(what, arg string, names []string) error {
	for _, n := range names {
		if n == arg {
			return nil
		}
	}
	return Usagef("unknown %s %q%s (one of: %s)", what, arg, didYouMean(arg, names), JoinOr(names))
}

func (c *Command) subcommand(name string) *Command {
	for _, s := range c.Subcommands {
		if s.Name == name {
			return s
		}
	}
	return nil
}
