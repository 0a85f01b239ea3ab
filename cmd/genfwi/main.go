// Command genfwi is the single entry point of the genfwi toolkit: wave
// simulation, datasets, FWI, training, sampling, inversion and benchmarks.
//
// Run "genfwi help" for the list of subcommands and "genfwi help CMD" for one.
package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"genfwi/internal/cli"
)

// version is the genfwi version recorded in manifests and checkpoints.
const version = "0.1.0-dev"

// commands returns the one command table, built anew for each command line
// (no command state outlives a run). Each entry lives in its own cmd_*.go
// file.
func commands() []*cli.Command {
	return []*cli.Command{benchCommand(), cigCommand(), datasetCommand(), denoiseCommand(), evalGroup(), fwiCommand(),
		invertCommand(), plotCommand(), posteriorCommand(), sampleCommand(), simulateCommand(), trainGroup()}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	p := &cli.Program{Name: "genfwi", Version: version, Summary: "generative full-waveform inversion toolkit", Commands: commands()}
	return p.Run(ctx, args, stdout, stderr)
}

// optionsFlags is the Flags function of a leaf that takes no positional
// arguments and whose options type O defines its flags: every run binds a
// fresh O, so no flag value outlives one command line; name names the
// command in the usage error.
func optionsFlags[O any, P interface {
	*O
	addFlags(fs *pflag.FlagSet)
}](name string, run func(ctx context.Context, env *cli.Env, o P) error) func(fs *pflag.FlagSet) cli.RunFunc {
	return func(fs *pflag.FlagSet) cli.RunFunc {
		o := P(new(O))
		o.addFlags(fs)
		return cli.NoArgs(name, func(ctx context.Context, env *cli.Env) error {
			return run(ctx, env, o)
		})
	}
}
