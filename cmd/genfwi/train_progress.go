package main

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/pflag"

	"genfwi/internal/cli"
	"genfwi/internal/jsonconfig"
	"genfwi/internal/rundir"
)

// trainProgress is the progress bar of a "genfwi train" command. It is
// created at the first reported step, so that a resumed run counts only the
// steps still to do and the bar's rate and ETA are those of this run.
type trainProgress struct {
	env  *cli.Env
	bar  *cli.Progress
	last int
}

// step reports that step of steps are done in a run that (re)started at
// start; title names the bar (a resumed run's gets " (resumed at step N)")
// and desc describes the step.
func (p *trainProgress) step(title string, start, step, steps int, desc string) {
	if p.bar == nil {
		if start > 0 {
			title += fmt.Sprintf(" (resumed at step %d)", start)
		}
		p.bar = cli.NewProgress(p.env, steps-start, title)
		p.last = start
	}
	p.bar.Add(step - p.last)
	p.last = step
	p.bar.Describe(desc)
}

// finish ends the bar's line, if there is a bar (more calls do nothing).
func (p *trainProgress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

// report ends a training command: it ends the bar, then returns the run's
// error, or writes its summary sum as one JSON line (asJSON) or, through
// text, as text to stdout.
func (p *trainProgress) report(err error, asJSON bool, sum any, text func(w io.Writer)) error {
	p.finish()
	if err != nil {
		return err
	}
	if asJSON {
		return cli.WriteJSON(p.env.Stdout, sum)
	}
	text(p.env.Stdout)
	return nil
}

// writeEpochRun writes the first part of the text summary of an
// epoch-based training run (train wise, train invnet/upfwi): "name: N steps
// (E epochs × S, from step K) in T s (R s/step), loss A → B".
func writeEpochRun(w io.Writer, name string, s rundir.Size, p rundir.Progress) {
	fmt.Fprintf(w, "%s: %d steps (%d epochs × %d, from step %d) in %.1f s (%.3f s/step), loss %.4f → %.4f",
		name, p.LastStep, s.Epochs, s.StepsPerEpoch, p.StartStep, p.Seconds, p.SecPerStep, p.InitialLoss, p.FinalLoss)
}

// valFlag parses a --val of "train wise" or "train invnet": a fraction in
// (0, 1) of the training data to hold out (frac > 0), or else a data
// source to validate on (src).
func valFlag(val string) (frac float64, src string, err error) {
	if val == "" {
		return 0, "", nil
	}
	f, perr := strconv.ParseFloat(val, 64)
	if perr != nil {
		return 0, val, nil
	}
	if !(f > 0 && f < 1) {
		return 0, "", cli.Usagef("--val %s: a fraction must be in (0, 1)", val)
	}
	return f, "", nil
}

// checkRunDir refuses an --out that exists and is not a directory (a
// symbolic link included) before any data are opened.
func checkRunDir(out string) error {
	if st, err := os.Lstat(out); err == nil && !st.IsDir() {
		return fmt.Errorf("--out %s exists and is not a directory", out)
	}
	return nil
}

// runFlags are the flags "train wise" and "train invnet/upfwi" share: the
// configuration, the data, the run directory and the resumable run's
// overrides of the configuration.
type runFlags struct {
	Config, Data, Val, Out string
	Epochs, StopAfter      int
	CheckpointEvery        int
	Seed                   int64
	JSON                   bool
}

// add defines the shared flags; the help texts of --config, --data, --val
// and --seed are the command's.
func (r *runFlags) add(fs *pflag.FlagSet, config, data, val, seed string) {
	fs.StringVar(&r.Config, "config", "", config+" (required)")
	fs.StringVar(&r.Data, "data", "", data+" (required)")
	fs.StringVar(&r.Val, "val", "", val)
	fs.StringVar(&r.Out, "out", "", "run directory (checkpoints, curves, model.safetensors) (required)")
	fs.IntVar(&r.Epochs, "epochs", 0, "epochs (0 = the config's); part of the run's configuration")
	fs.IntVar(&r.StopAfter, "stop-after", 0, "stop after this step with a checkpoint, as if interrupted (rerun to resume)")
	fs.IntVar(&r.CheckpointEvery, "checkpoint-every", -1, "checkpoint period in steps (-1 = the config's; epoch ends always checkpoint)")
	fs.Int64Var(&r.Seed, "seed", -1, seed+" (-1 = the config's)")
	fs.BoolVar(&r.JSON, "json", false, "print the training summary as one JSON object on the last stdout line")
}

// override sets the config's training settings that the shared flags give:
// --epochs (when > 0), --checkpoint-every and --seed (when >= 0) and the
// held-out fraction frac of --val (when > 0, see valFlag); flags left at
// their defaults keep the config's values.
func (r *runFlags) override(epochs, checkpointEvery *int, seed *uint64, valFraction *float64, frac float64) {
	setIfPositive(epochs, r.Epochs)
	setIfNonNegative(checkpointEvery, r.CheckpointEvery)
	if r.Seed >= 0 {
		*seed = uint64(r.Seed)
	}
	setIfPositive(valFraction, frac)
}

// configureRun resolves a run's --val and --config: --val first (valFlag),
// then the configuration of kind (configFlag), where override applies the
// held-out fraction frac of --val (0 when --val names a data source; see
// r.override) and the command's own flags before the one validation. It
// returns the configuration and the data source of --val ("" when --val is
// a fraction or absent); a bad --val or --config is a usage error.
func configureRun[T any, P jsonconfig.Validator[T]](r *runFlags, kind string, preset func(name string) (*T, error), override func(c *T, frac float64)) (cfg *T, valSrc string, err error) {
	frac, valSrc, err := valFlag(r.Val)
	if err != nil {
		return nil, "", err
	}
	if cfg, err = configFlag[T, P](r.Config, kind, preset, func(c *T) { override(c, frac) }); err != nil {
		return nil, "", err
	}
	return cfg, valSrc, nil
}

// check refuses a run without --config, --data or --out (cmd names the
// command in the error).
func (r *runFlags) check(cmd string) error {
	if r.Config == "" || r.Data == "" || r.Out == "" {
		return cli.Usagef("%s needs --config, --data and --out", cmd)
	}
	return nil
}
