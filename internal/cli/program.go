package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"genfwi/internal/atomicfile"
)

// Program is a command-line program: a name, a version and a table of
// commands. Run adds the "help" and "version" commands and the top-level
// --help and --version flags.
type Program struct {
	// Name is the program name ("genfwi").
	Name string
	// Version is printed by "--version" and "version".
	Version string
	// Summary is the first line of the program's usage.
	Summary string
	// Commands is the command table (any order; listed sorted by name).
	Commands []*Command
}

// Run executes one command line (without the program name) and returns the
// exit status: 0 success, 1 failure, 2 usage error, 130 interrupted (ctx
// cancelled). Help requested with -h/--help at any level, or with "help",
// goes to stdout with status 0; errors and usage hints go to stderr.
func (p *Program) Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := p.root()
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		fmt.Fprintf(stdout, "%s %s\n", p.Name, p.Version)
		return 0
	}
	return p.exec(ctx, []string{p.Name}, root, args, stdout, stderr)
}

// root returns the program as a group command, with help and version.
func (p *Program) root() *Command {
	cmds := slices.Clone(p.Commands)
	root := &Command{Name: p.Name, UsageLine: "<command> [flags] [args]", Long: p.Summary}
	help := &Command{
		Name:      "help",
		UsageLine: "help [COMMAND [SUBCOMMAND]]",
		Short:     "show the commands, or one command's manual",
		Long: fmt.Sprintf(`Help prints the list of commands, or the manual of one command or subcommand
(the same text as "%[1]s COMMAND [SUBCOMMAND] --help"), on stdout.

Examples:
  %[1]s help
  %[1]s help simulate
  %[1]s help dataset build`, p.Name),
		Flags: func(fs *pflag.FlagSet) RunFunc {
			return func(_ context.Context, env *Env, args []string) error {
				return p.help(env.Stdout, root, args)
			}
		},
	}
	version := &Command{
		Name:      "version",
		UsageLine: "version",
		Short:     "print the " + p.Name + " version",
		Long:      fmt.Sprintf("Version prints the %[1]s version (also \"%[1]s --version\").", p.Name),
		Flags: func(fs *pflag.FlagSet) RunFunc {
			return func(_ context.Context, env *Env, args []string) error {
				if len(args) != 0 {
					return Usagef("version takes no arguments, got %q", args)
				}
				_, err := fmt.Fprintf(env.Stdout, "%s %s\n", p.Name, p.Version)
				return err
			}
		},
	}
	cmds = append(cmds, help, version)
	slices.SortStableFunc(cmds, func(a, b *Command) int { return strings.Compare(a.Name, b.Name) })
	root.Subcommands = cmds
	return root
}

// help prints the manual of the command named by path (below root).
func (p *Program) help(w io.Writer, root *Command, path []string) error {
	c, names := root, []string{p.Name}
	for _, name := range path {
		if !c.isGroup() {
			return Usagef("%s has no subcommands (got %q)", strings.Join(names, " "), name)
		}
		sub := c.subcommand(name)
		if sub == nil {
			return Usagef("unknown command %q%s", strings.Join(append(names[1:], name), " "), didYouMean(name, c.SubcommandNames()))
		}
		c, names = sub, append(names, name)
	}
	p.printHelp(w, names, c)
	return nil
}

// exec runs command c, reached by path, with args.
func (p *Program) exec(ctx context.Context, path []string, c *Command, args []string, stdout, stderr io.Writer) int {
	name := strings.Join(path, " ")
	if c.isGroup() {
		subs := c.SubcommandNames()
		switch {
		case len(args) == 0 && len(path) == 1:
			p.printHelp(stderr, path, c)
			return 2
		case len(args) == 0:
			fmt.Fprintf(stderr, "%s: needs a subcommand: %s\n", name, JoinOr(subs))
			p.hint(stderr, path, c)
			return 2
		case isHelpArg(args[0]):
			p.printHelp(stdout, path, c)
			return 0
		case strings.HasPrefix(args[0], "-") && len(path) == 1:
			fmt.Fprintf(stderr, "%s: unknown flag %s%s (a command's flags follow its name)\n", name, args[0], didYouMean(args[0], []string{"--help", "--version"}))
			p.hint(stderr, path, c)
			return 2
		case strings.HasPrefix(args[0], "-"):
			fmt.Fprintf(stderr, "%s: unknown flag %s: name the subcommand first (%s)\n", name, args[0], JoinOr(subs))
			p.hint(stderr, path, c)
			return 2
		}
		sub := c.subcommand(args[0])
		if sub == nil {
			what := "subcommand"
			if len(path) == 1 {
				what = "command"
			}
			fmt.Fprintf(stderr, "%s: unknown %s %q%s\n", name, what, args[0], didYouMean(args[0], subs))
			p.hint(stderr, path, c)
			return 2
		}
		return p.exec(ctx, append(slices.Clone(path), sub.Name), sub, args[1:], stdout, stderr)
	}
	fs := newFlagSet(name)
	run := c.Flags(fs)
	addHelpFlag(fs)
	profile := addProfileFlag(fs)
	args, help := normalizeArgs(fs, args)
	if help {
		p.printHelp(stdout, path, c)
		return 0
	}
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		p.hint(stderr, path, c)
		return 2
	}
	err := withCPUProfile(*profile, func() error { return run(ctx, &Env{Stdout: stdout, Stderr: stderr}, fs.Args()) })
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		fmt.Fprintf(stderr, "%s: interrupted\n", name)
		return 130
	case IsUsage(err):
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		p.hint(stderr, path, c)
		return 2
	default:
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
}

// hint prints the synopsis of c and where its manual is, after a usage error.
func (p *Program) hint(w io.Writer, path []string, c *Command) {
	fmt.Fprintf(w, "usage: %s %s\n", p.Name, usageLine(path, c))
	fmt.Fprintf(w, "Run '%s' for details.\n", strings.Join(append([]string{p.Name, "help"}, path[1:]...), " "))
}

// usageLine is c's synopsis after the program name.
func usageLine(path []string, c *Command) string {
	if c.UsageLine != "" {
		return c.UsageLine
	}
	prefix := strings.Join(path[1:], " ")
	if c.isGroup() {
		return strings.TrimSpace(prefix + " " + strings.Join(c.SubcommandNames(), "|") + " [flags] [args]")
	}
	return strings.TrimSpace(prefix + " [flags]")
}

// printHelp writes c's manual: synopsis, long text, subcommands or choices,
// flags and exit status.
func (p *Program) printHelp(w io.Writer, path []string, c *Command) {
	var b strings.Builder
	if len(path) == 1 {
		fmt.Fprintf(&b, "%s — %s (%s)\n\nUsage:\n  %s %s\n", p.Name, p.Summary, p.Version, p.Name, usageLine(path, c))
	} else {
		fmt.Fprintf(&b, "usage: %s %s\n", p.Name, usageLine(path, c))
		if c.Long != "" {
			fmt.Fprintf(&b, "\n%s\n", strings.TrimRight(c.Long, "\n"))
		}
	}
	list := func(title string, rows []Choice) {
		width := 0
		for _, r := range rows {
			width = max(width, len(r.Name))
		}
		fmt.Fprintf(&b, "\n%s:\n", title)
		for _, r := range rows {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, r.Name, r.Short)
		}
	}
	if c.isGroup() {
		var rows []Choice
		for _, s := range c.Subcommands {
			rows = append(rows, Choice{s.Name, s.Short})
		}
		title, more := "Subcommands", fmt.Sprintf("Run '%s SUBCOMMAND --help' for a subcommand's manual and flags.", strings.Join(path, " "))
		if len(path) == 1 {
			title, more = "Commands", fmt.Sprintf("Run '%s help COMMAND' (or '%s COMMAND --help') for a command's manual and flags.", p.Name, p.Name)
		}
		list(title, rows)
		fmt.Fprintf(&b, "\n%s\n", more)
	} else {
		if c.Choices != nil {
			list("Choices of the first argument", c.Choices())
		}
		fs := newFlagSet(strings.Join(path, " "))
		c.Flags(fs)
		addHelpFlag(fs)
		addProfileFlag(fs)
		fmt.Fprintf(&b, "\nFlags (\"--name value\", \"--name=value\" or \"-name value\"; anywhere on the line):\n%s", fs.FlagUsagesWrapped(100))
	}
	fmt.Fprintf(&b, "\n%s\n", ExitStatus)
	io.WriteString(w, b.String())
}

// newFlagSet returns an empty, silent, interspersed flag set.
func newFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SetInterspersed(true)
	fs.SortFlags = true
	return fs
}

// addProfileFlag defines --cpuprofile on every leaf command (unless the
// command uses the name) and returns its value: profiling a real command
// line is how the engine's hot spots are found before optimising.
func addProfileFlag(fs *pflag.FlagSet) *string {
	if f := fs.Lookup("cpuprofile"); f != nil {
		empty := ""
		return &empty
	}
	return fs.String("cpuprofile", "", "write a Go CPU profile of the command to this file (go tool pprof)")
}

// withCPUProfile runs f, under the Go CPU profiler writing to path when path
// is not empty. The profile is written even when f fails or is interrupted.
func withCPUProfile(path string, f func() error) error {
	if path == "" {
		return f()
	}
	if err := atomicfile.CheckTarget(path); err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		out.Close()
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	runErr := f()
	pprof.StopCPUProfile()
	if err := out.Close(); err != nil && runErr == nil {
		return fmt.Errorf("--cpuprofile %s: %w", path, err)
	}
	return runErr
}

// addHelpFlag defines -h/--help unless the command uses those names.
func addHelpFlag(fs *pflag.FlagSet) {
	if fs.Lookup("help") == nil && fs.ShorthandLookup("h") == nil {
		fs.BoolP("help", "h", false, "print this help on stdout and exit")
	}
}

func isHelpArg(a string) bool { return a == "-h" || a == "--help" || a == "-help" }

// normalizeArgs rewrites Go-style single-dash long flags ("-json",
// "-samples=0:4", "-n 8") to the GNU form pflag parses ("--json", ...),
// for every name that is a defined long flag and not a shorthand. Values of
// flags that take one are left alone, as is everything after "--". help
// reports whether -h/--help appears among the flags.
func normalizeArgs(fs *pflag.FlagSet, args []string) (out []string, help bool) {
	out = make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			out = append(out, args[i:]...)
			break
		}
		if len(a) >= 2 && a[0] == '-' && a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			if fs.Lookup(name) != nil && (len(name) > 1 || fs.ShorthandLookup(name) == nil) {
				a = "-" + a
			}
		}
		out = append(out, a)
		if isHelpArg(a) {
			help = true
		}
		// A flag that takes a value in the next argument: copy that as is.
		var f *pflag.Flag
		switch {
		case strings.HasPrefix(a, "--") && !strings.Contains(a, "="):
			f = fs.Lookup(a[2:])
		case len(a) == 2 && a[0] == '-' && a[1] != '-':
			f = fs.ShorthandLookup(a[1:])
		}
		if f != nil && f.NoOptDefVal == "" && i+1 < len(args) {
			out = append(out, args[i+1])
			i++
		}
	}
	return out, help
}
