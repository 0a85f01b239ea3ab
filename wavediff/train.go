package wavediff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"genfwi/autograd"
	"genfwi/internal/atomicfile"
	"genfwi/internal/rundir"
	"genfwi/nn"
)

// TrainOptions are the run-level settings shared by every training loop.
type TrainOptions struct {
	// Out is the run directory: checkpoints, loss.csv, samples/, train.json
	// and, at the end, model.safetensors.
	Out string
	// Steps is the total number of optimiser steps of the run (the
	// schedule's length); 0 means the config's.
	Steps int
	// StopAfter, if > 0, stops the run after that step (writing a
	// checkpoint) as if it had been interrupted there; a later call with the
	// same Out resumes.
	StopAfter int
	// CheckpointEvery is the checkpoint period in steps (0 = 500).
	CheckpointEvery int
	// SampleEvery is the period of sample figures in steps (0 = none).
	SampleEvery int
	// Seed drives the batch order and any other randomness of the loop.
	Seed uint64
	// OnStep, if set, is called after each step.
	OnStep func(StepInfo)
}

// StepInfo describes one finished training step.
type StepInfo struct {
	Step, Steps int
	Loss        float64
	Parts       map[string]float64
	LR          float64
}

// TrainSummary is what a training run reports (also written to
// Out/train.json).
type TrainSummary struct {
	Kind        string             `json:"kind"`
	Out         string             `json:"out"`
	Model       string             `json:"model"`
	Params      int                `json:"params"`
	Pairs       int                `json:"pairs"`
	Batch       int                `json:"batch"`
	Steps       int                `json:"steps"`
	StartStep   int                `json:"start_step"`
	Resumed     bool               `json:"resumed"`
	Stopped     bool               `json:"stopped_early"`
	Seconds     float64            `json:"seconds"`
	SecPerStep  float64            `json:"seconds_per_step"`
	Epochs      float64            `json:"epochs"`
	FinalLoss   float64            `json:"final_loss"`
	FinalParts  map[string]float64 `json:"final_parts"`
	InitialLoss float64            `json:"initial_loss"`
	Extra       map[string]any     `json:"extra,omitempty"`
}

// histPoint is one logged step.
type histPoint struct {
	Step  int                `json:"step"`
	Loss  float64            `json:"loss"`
	LR    float64            `json:"lr"`
	Parts map[string]float64 `json:"parts,omitempty"`
}

// trainJob is one concrete training loop (autoencoder or diffusion) as seen
// by runTraining.
type trainJob struct {
	kind   string
	pairs  int
	batch  int
	steps  int // config default
	arena  *nn.Arena
	opt    nn.Optimizer
	rng    *rand.PCG
	ema    *nn.EMA
	lr     func(step int) float64
	clip   float64
	tape   *autograd.Tape
	stepFn func(tp *autograd.Tape, step int, idx []int) (float64, map[string]float64, error)
	// save writes the model weights to path with extra metadata.
	save func(path string, extra map[string]string) error
	// load reads weights written by save.
	load func(path string) error
	// saveExtra/loadExtra persist loop state beyond nn.TrainState (may be
	// nil), as JSON.
	saveExtra func() any
	loadExtra func(b []byte) error
	// sample writes a figure of the current model (may be nil).
	sample func(ctx context.Context, path string) error
	// meta is extra checkpoint metadata (e.g. the latent scale).
	meta func() map[string]string
	// finalSave, if set, writes the final model instead of save (e.g. EMA
	// weights swapped in).
	finalSave func(path string) error
}

// modelFile is the final network of a run and of every checkpoint
// directory; the run directory's layout is rundir's.
const modelFile = rundir.ModelFile

// LatestCheckpoint returns the model file of the latest complete checkpoint
// of a run directory and its step, or an error wrapping fs.ErrNotExist.
func LatestCheckpoint(out string) (string, int, error) { return rundir.Latest(out) }

// ModelPath resolves a --model argument: a .safetensors file as is, a run
// directory to its final model.safetensors, or failing that to its latest
// checkpoint.
func ModelPath(arg string) (string, error) { return rundir.ModelPath(arg, "") }

// writeFileAtomic creates path's directory if needed and writes b atomically.
func writeFileAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b)
}

func writeJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// runTraining runs job from its latest checkpoint in o.Out (or from step 0)
// to o.Steps, checkpointing every o.CheckpointEvery steps, at o.StopAfter, on
// cancellation and at the end. A checkpoint is a directory ckpt-NNNNNNN with
// the weights, the optimiser/RNG/EMA state (nn.TrainState), the loop's extra
// state and the loss history; Out/checkpoint.json is switched to it
// atomically once it is complete, and older checkpoint directories are then
// removed. Batches come from a Batcher seeded with o.Seed, so a resumed run
// repeats the uninterrupted one exactly.
func runTraining(ctx context.Context, o TrainOptions, job *trainJob, sum *TrainSummary) error {
	if o.Out == "" {
		return errors.New("wavediff: training needs an output directory")
	}
	steps := o.Steps
	if steps <= 0 {
		steps = job.steps
	}
	if steps <= 0 {
		return fmt.Errorf("wavediff: %s training: number of steps must be positive", job.kind)
	}
	every := o.CheckpointEvery
	if every <= 0 {
		every = 500
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return fmt.Errorf("creating run directory: %w", err)
	}
	state := &nn.TrainState{Opt: job.opt, RNG: job.rng, EMA: job.ema}
	var hist []histPoint
	start := 0
	if path, step, err := LatestCheckpoint(o.Out); err == nil {
		if err := job.load(path); err != nil {
			return fmt.Errorf("resuming from %s: %w", path, err)
		}
		if err := rundir.LoadState(path, step, state, job.arena.NumParams()); err != nil {
			return err
		}
		if err := rundir.ReadHistory(path, &hist, false); err != nil {
			return err
		}
		dir := filepath.Dir(path)
		if job.loadExtra != nil {
			b, err := os.ReadFile(filepath.Join(dir, rundir.ExtraFile))
			if err != nil {
				return fmt.Errorf("resuming from %s: %w", dir, err)
			}
			if err := job.loadExtra(b); err != nil {
				return fmt.Errorf("resuming from %s: extra state: %w", dir, err)
			}
		}
		start = step
		sum.Resumed = true
		slog.Info("resuming training", "kind", job.kind, "step", step, "out", o.Out)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	sum.Kind, sum.Out, sum.Params, sum.Pairs, sum.Batch, sum.Steps, sum.StartStep = job.kind, o.Out, job.arena.NumParams(), job.pairs, job.batch, steps, start

	// meta is the metadata of the weights written at step.
	meta := func(step int) map[string]string {
		extra := map[string]string{"step": strconv.Itoa(step), "kind": job.kind}
		if job.meta != nil {
			maps.Copy(extra, job.meta())
		}
		return extra
	}
	checkpoint := func(step int) error {
		c := rundir.Checkpoint{Step: step, Kind: job.kind, State: state, History: hist,
			Save:      func(path string) error { return job.save(path, meta(step)) },
			Published: func() error { return writeLossCSV(filepath.Join(o.Out, "loss.csv"), hist) }}
		if job.saveExtra != nil {
			c.Extra = job.saveExtra()
		}
		return rundir.WriteCheckpoint(o.Out, c)
	}

	b := NewBatcher(job.pairs, job.batch, o.Seed)
	var idx []int
	t0 := time.Now()
	last := start
	stopped := false
	var runErr error
	for step := start; step < steps; step++ {
		if err := ctx.Err(); err != nil {
			runErr = err
			break
		}
		idx = b.Indices(step, idx)
		job.tape.Reset()
		job.arena.ZeroGrad()
		lr := job.lr(step)
		loss, parts, err := job.stepFn(job.tape, step, idx)
		if err != nil {
			return fmt.Errorf("%s step %d: %w", job.kind, step, err)
		}
		if job.clip > 0 {
			nn.ClipGlobalNorm(job.arena, job.clip)
		}
		job.opt.Step(job.arena, lr)
		if job.ema != nil {
			job.ema.Update(job.arena)
		}
		hist = append(hist, histPoint{Step: step + 1, Loss: loss, LR: lr, Parts: parts})
		last = step + 1
		if o.OnStep != nil {
			o.OnStep(StepInfo{Step: step + 1, Steps: steps, Loss: loss, Parts: parts, LR: lr})
		}
		if job.sample != nil && o.SampleEvery > 0 && (step+1)%o.SampleEvery == 0 {
			p := filepath.Join(o.Out, "samples", fmt.Sprintf("step-%07d.png", step+1))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := job.sample(ctx, p); err != nil {
				return fmt.Errorf("sample figure at step %d: %w", step+1, err)
			}
		}
		if o.StopAfter > 0 && step+1 >= o.StopAfter && step+1 < steps {
			stopped = true
			break
		}
		if (step+1)%every == 0 && step+1 < steps {
			if err := checkpoint(step + 1); err != nil {
				return fmt.Errorf("checkpoint at step %d: %w", step+1, err)
			}
		}
	}
	if last > start || stopped || runErr != nil {
		if err := checkpoint(last); err != nil {
			return fmt.Errorf("checkpoint at step %d: %w", last, err)
		}
	}
	if runErr != nil {
		return runErr
	}
	sum.Stopped = stopped
	sum.Seconds = time.Since(t0).Seconds()
	if last > start {
		sum.SecPerStep = sum.Seconds / float64(last-start)
	}
	sum.Epochs = b.Epoch(last)
	sum.FinalLoss, sum.FinalParts = tailMean(hist, 50)
	if len(hist) > 0 {
		sum.InitialLoss = hist[0].Loss
	}
	model, err := rundir.SaveFinal(o.Out, stopped, func(path string) error {
		if job.finalSave != nil {
			return job.finalSave(path)
		}
		return job.save(path, meta(last))
	})
	if err != nil {
		return err
	}
	sum.Model = model
	return writeJSONAtomic(filepath.Join(o.Out, "train.json"), sum)
}

// tailMean averages the loss and its parts over the last k logged steps.
func tailMean(h []histPoint, k int) (float64, map[string]float64) {
	if len(h) == 0 {
		return 0, nil
	}
	if k > len(h) {
		k = len(h)
	}
	parts := map[string]float64{}
	loss := 0.0
	for _, p := range h[len(h)-k:] {
		loss += p.Loss
		for n, v := range p.Parts {
			parts[n] += v / float64(k)
		}
	}
	return loss / float64(k), parts
}

func writeLossCSV(path string, h []histPoint) error {
	names := map[string]bool{}
	for _, p := range h {
		for n := range p.Parts {
			names[n] = true
		}
	}
	cols := make([]string, 0, len(names))
	for n := range names {
		cols = append(cols, n)
	}
	sort.Strings(cols)
	var sb strings.Builder
	sb.WriteString("step,loss,lr")
	for _, c := range cols {
		sb.WriteString("," + c)
	}
	sb.WriteByte('\n')
	for _, p := range h {
		fmt.Fprintf(&sb, "%d,%.6g,%.6g", p.Step, p.Loss, p.LR)
		for _, c := range cols {
			fmt.Fprintf(&sb, ",%.6g", p.Parts[c])
		}
		sb.WriteByte('\n')
	}
	return writeFileAtomic(path, []byte(sb.String()))
}

// WriteJSON writes v as indented JSON to path atomically (temporary file in
// the same directory, then rename), creating the directory.
func WriteJSON(path string, v any) error { return writeJSONAtomic(path, v) }

// WriteFileAtomic writes b to path atomically (temporary file in the same
// directory, then rename), creating the directory.
func WriteFileAtomic(path string, b []byte) error { return writeFileAtomic(path, b) }
