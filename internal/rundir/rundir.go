// Package rundir holds the layout of a training run directory shared by the
// training loops of wise, models/invnet and wavediff, and the code that
// reads and writes it:
//
//	OUT/checkpoint.json          the pointer: {"step", "dir"[, "kind"]} of the latest complete checkpoint
//	OUT/ckpt-NNNNNNN/            one checkpoint (only the latest is kept)
//	    model.safetensors        the weights (written by the caller)
//	    model.state.safetensors  optimiser, RNG and EMA state (nn.TrainState)
//	    history.json             the loop's loss/validation history
//	    extra.json               loop state beyond nn.TrainState (optional)
//	OUT/model.safetensors        the final network of a finished run
//	OUT/loss.csv, loss.png, ...  curves (written by the caller, see WriteLossCurves)
//
// A checkpoint directory is complete before the pointer names it, and older
// checkpoint directories are removed only after that, so an interrupted
// run always resumes from a complete checkpoint.
//
// Loop is the step loop that the epoch-based trainers (wise, models/invnet)
// run over such a directory, and Progress the part of their summaries it
// fills in.
package rundir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"genfwi/internal/atomicfile"
	"genfwi/nn"
)

const (
	// ModelFile is the weights file of a finished run (OUT/ModelFile) and
	// of every checkpoint directory.
	ModelFile = "model.safetensors"
	// PointerFile names the latest complete checkpoint of a run.
	PointerFile = "checkpoint.json"
	// HistoryFile holds a checkpoint's loss and validation history.
	HistoryFile = "history.json"
	// ExtraFile holds a checkpoint's loop state beyond nn.TrainState.
	ExtraFile = "extra.json"
	// ckptPrefix starts the name of every checkpoint directory.
	ckptPrefix = "ckpt-"
)

// Pointer is the content of OUT/checkpoint.json.
type Pointer struct {
	Step int    `json:"step"`
	Dir  string `json:"dir"`
	// Kind names the training loop (wavediff's "vqae-…", "diffusion",
	// "fd-proxy"); omitted when empty.
	Kind string `json:"kind,omitempty"`
}

// Latest returns the model file of the latest complete checkpoint in the run
// directory out and its step, or an error wrapping fs.ErrNotExist when out
// has no checkpoint.
func Latest(out string) (string, int, error) {
	b, err := os.ReadFile(filepath.Join(out, PointerFile))
	if err != nil {
		return "", 0, err
	}
	var p Pointer
	if err := json.Unmarshal(b, &p); err != nil {
		return "", 0, fmt.Errorf("reading %s: %w", filepath.Join(out, PointerFile), err)
	}
	return filepath.Join(out, p.Dir, ModelFile), p.Step, nil
}

// ModelPath resolves a model argument: a file (a .safetensors checkpoint) as
// is, a run directory to its final model.safetensors, or failing that to its
// latest checkpoint. what names the kind of run in the error for a directory
// that has neither ("not a WISE run directory?"); with what empty the error
// wraps the pointer file's error instead.
func ModelPath(arg, what string) (string, error) {
	st, err := os.Stat(arg)
	if err != nil {
		return "", fmt.Errorf("model %s: %w", arg, err)
	}
	if !st.IsDir() {
		return arg, nil
	}
	final := filepath.Join(arg, ModelFile)
	if _, err := os.Stat(final); err == nil {
		return final, nil
	}
	p, _, err := Latest(arg)
	switch {
	case err == nil:
		return p, nil
	case what == "":
		return "", fmt.Errorf("model %s: no %s and no checkpoint: %w", arg, ModelFile, err)
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("model %s: no %s and no checkpoint (not %s run directory?)", arg, ModelFile, what)
	default:
		return "", fmt.Errorf("model %s: %w", arg, err)
	}
}

// Create makes the run directory out, refusing a path that exists and is
// not a directory (a symbolic link included).
func Create(out string) error {
	if st, err := os.Lstat(out); err == nil && !st.IsDir() {
		return fmt.Errorf("output %s exists and is not a directory", out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("creating run directory: %w", err)
	}
	return nil
}

// Checkpoint is what WriteCheckpoint writes for one step.
type Checkpoint struct {
	// Step is the number of finished optimiser steps.
	Step int
	// Kind is recorded in the pointer (empty: not recorded).
	Kind string
	// Save writes the weights to path, the checkpoint's model file.
	Save func(path string) error
	// State is written next to the weights with its Step set to Step.
	State *nn.TrainState
	// Extra, if not nil, is written as extra.json.
	Extra any
	// History is written as history.json.
	History any
	// Published, if set, is called once the pointer names the new
	// checkpoint and before older checkpoints are removed (e.g. to write
	// the curves).
	Published func() error
}

// WriteCheckpoint writes c into out/ckpt-NNNNNNN (weights, training state,
// extra state, history), then switches out/checkpoint.json to it, calls
// c.Published and finally removes every other checkpoint directory.
func WriteCheckpoint(out string, c Checkpoint) error {
	dir := fmt.Sprintf("%s%07d", ckptPrefix, c.Step)
	full := filepath.Join(out, dir)
	if err := os.MkdirAll(full, 0o755); err != nil {
		return err
	}
	path := filepath.Join(full, ModelFile)
	if err := c.Save(path); err != nil {
		return err
	}
	c.State.Step = c.Step
	if err := nn.SaveTrainState(nn.StatePath(path), c.State); err != nil {
		return err
	}
	if c.Extra != nil {
		if err := WriteJSON(filepath.Join(full, ExtraFile), c.Extra); err != nil {
			return err
		}
	}
	if err := WriteJSON(filepath.Join(full, HistoryFile), c.History); err != nil {
		return err
	}
	if err := WriteJSON(filepath.Join(out, PointerFile), Pointer{Step: c.Step, Dir: dir, Kind: c.Kind}); err != nil {
		return err
	}
	if c.Published != nil {
		if err := c.Published(); err != nil {
			return err
		}
	}
	// Older checkpoints are superseded only now that this one is complete.
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), ckptPrefix) && e.Name() != dir {
			os.RemoveAll(filepath.Join(out, e.Name()))
		}
	}
	return nil
}

// SaveFinal writes the final model of a finished run, out/ModelFile, with
// save and returns its path for the run's summary. A run that StopAfter
// stopped (stopped) is not finished: it writes nothing and returns "", its
// weights living on in the checkpoint a later run resumes from.
func SaveFinal(out string, stopped bool, save func(path string) error) (string, error) {
	if stopped {
		return "", nil
	}
	final := filepath.Join(out, ModelFile)
	if err := save(final); err != nil {
		return "", fmt.Errorf("writing final model: %w", err)
	}
	return final, nil
}

// LoadState reads the training state of the checkpoint whose model file is
// path (as returned by Latest with step) into state, for a model of
// numParams parameters, and checks that it is at step.
func LoadState(path string, step int, state *nn.TrainState, numParams int) error {
	if err := nn.LoadTrainState(nn.StatePath(path), state, numParams); err != nil {
		return fmt.Errorf("resuming from %s: %w", path, err)
	}
	if state.Step != step {
		return fmt.Errorf("resuming from %s: state is at step %d, %s says %d", path, state.Step, PointerFile, step)
	}
	return nil
}

// CheckMeta refuses to resume from the checkpoint whose model file is path
// when its metadata meta records another configuration (meta[cfgKey] !=
// cfg) or other training data (meta[dataKey] != data) than the run's:
// carrying on would silently mix two different runs in one directory.
func CheckMeta(path string, meta map[string]string, cfgKey, cfg, dataKey, data string) error {
	if meta[cfgKey] != cfg {
		return fmt.Errorf("resuming from %s: the run directory was trained with another configuration (use a new --out, or the same config and flags)", path)
	}
	if meta[dataKey] != data {
		return fmt.Errorf("resuming from %s: the run directory was trained on other data (%s)", path, meta[dataKey])
	}
	return nil
}

// LoadProgress reads the training state (see LoadState) and the required
// history (see ReadHistory) of the checkpoint whose model file is path into
// state and hist, and checks that the history's per-step losses, which
// loss points at inside hist, cover exactly the step steps done: an
// epoch-based trainer's curves and validation means index them by step.
func LoadProgress(path string, step int, state *nn.TrainState, numParams int, hist any, loss *[]float64) error {
	if err := LoadState(path, step, state, numParams); err != nil {
		return err
	}
	if err := ReadHistory(path, hist, true); err != nil {
		return err
	}
	if len(*loss) != step {
		return fmt.Errorf("resuming from %s: history has %d steps, checkpoint is at step %d", path, len(*loss), step)
	}
	return nil
}

// ReadHistory decodes the history.json of the checkpoint whose model file is
// path into v. An unreadable (e.g. missing) file is an error only when
// required: wavediff's runs tolerate it, wise and invnet need it to resume
// their curves and validation history.
func ReadHistory(path string, v any, required bool) error {
	b, err := os.ReadFile(filepath.Join(filepath.Dir(path), HistoryFile))
	if err != nil {
		if !required {
			return nil
		}
		return fmt.Errorf("resuming from %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("resuming from %s: history: %w", path, err)
	}
	return nil
}

// WriteJSON writes v as indented JSON with a final newline to path,
// atomically.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}
