package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Command is one genfwi subcommand, after cmd/go's base.Command.
type Command struct {
	// Name is the word that selects the command ("simulate", "bench", ...).
	Name string
	// UsageLine is the one-line synopsis, without the leading "genfwi ".
	UsageLine string
	// Short is the one-line description shown by "genfwi help".
	Short string
	// Long is the full help text; it ends with an EXIT STATUS section.
	Long string
	// Flag is the command's flag set; Run receives the remaining arguments.
	Flag *flag.FlagSet
	// Run does the work. It writes results to Env.Stdout and progress to Env.Stderr.
	Run func(ctx context.Context, env *Env, args []string) error
}

// Env is what a command may touch besides its flags: its output streams.
// Tests construct an Env with buffers.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	// Quiet turns progress reporting off.
	Quiet bool
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

// ExitStatus is the standard EXIT STATUS section appended to every Long text.
const ExitStatus = `
EXIT STATUS
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

// ParseRange parses a half-open sample range "A:B" (either side may be empty:
// ":B" means 0:B, "A:" means A:n) against a total count n. A single integer
// "K" means K:K+1.
func ParseRange(s string, n int) (lo, hi int, err error) {
	if s == "" {
		return 0, n, nil
	}
	a, b, found := strings.Cut(s, ":")
	parse := func(t string, def int) (int, error) {
		if t == "" {
			return def, nil
		}
		var v int
		if _, err := fmt.Sscanf(t, "%d", &v); err != nil {
			return 0, fmt.Errorf("range %q: %q is not an integer", s, t)
		}
		return v, nil
	}
	if lo, err = parse(a, 0); err != nil {
		return 0, 0, err
	}
	if !found {
		hi = lo + 1
	} else if hi, err = parse(b, n); err != nil {
		return 0, 0, err
	}
	if lo < 0 || hi > n || lo >= hi {
		return 0, 0, fmt.Errorf("range %q is empty or outside 0:%d", s, n)
	}
	return lo, hi, nil
}
