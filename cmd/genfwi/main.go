// Command genfwi is the single entry point of the genfwi toolkit: wave
// simulation, datasets, FWI, training, sampling, inversion and benchmarks.
//
// Run "genfwi help" for the list of subcommands and "genfwi help CMD" for one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"genfwi/internal/cli"
)

// version is the genfwi version recorded in manifests and checkpoints.
const version = "0.1.0-dev"

// commands is the one command table. Each entry lives in its own file.
var commands []*cli.Command

// register adds commands to the table; each cmd_*.go file calls it from init.
func register(c ...*cli.Command) { commands = append(commands, c...) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	sort.Slice(commands, func(i, j int) bool { return commands[i].Name < commands[j].Name })
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" {
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				fmt.Fprintf(stdout, "usage: genfwi %s\n\n%s\n", c.UsageLine, c.Long)
				c.Flag.SetOutput(stdout)
				c.Flag.PrintDefaults()
				return 0
			}
			fmt.Fprintf(stderr, "genfwi help: unknown command %q\n", args[1])
			return 2
		}
		usage(stdout)
		return 0
	}
	if name == "version" {
		fmt.Fprintf(stdout, "genfwi %s\n", version)
		return 0
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(stderr, "genfwi: unknown command %q\nRun 'genfwi help' for usage.\n", name)
		return 2
	}
	c.Flag.SetOutput(stderr)
	c.Flag.Usage = func() {
		fmt.Fprintf(stderr, "usage: genfwi %s\nRun 'genfwi help %s' for details.\n", c.UsageLine, c.Name)
	}
	if err := c.Flag.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	env := &cli.Env{Stdout: stdout, Stderr: stderr}
	err := c.Run(ctx, env, c.Flag.Args())
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		fmt.Fprintf(stderr, "genfwi %s: interrupted\n", c.Name)
		return 130
	case cli.IsUsage(err):
		fmt.Fprintf(stderr, "genfwi %s: %v\n", c.Name, err)
		c.Flag.Usage()
		return 2
	default:
		fmt.Fprintf(stderr, "genfwi %s: %v\n", c.Name, err)
		return 1
	}
}

func lookup(name string) *cli.Command {
	for _, c := range commands {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "genfwi — generative full-waveform inversion toolkit (%s)\n\nUsage:\n  genfwi <command> [flags] [args]\n\nCommands:\n", version)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.Name, c.Short)
	}
	fmt.Fprintf(w, "  %-10s %s\n  %-10s %s\n\nRun 'genfwi help <command>' for details.\n", "help", "show help for a command", "version", "print the genfwi version")
}
