package rundir

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Loop is the step loop of a resumable, epoch-based training run, shared by
// the trainers of wise and models/invnet: shuffled epochs, validation and
// checkpoints at epoch ends, a clean stop with a checkpoint when the
// context is cancelled or after StopAfter steps. The trainer supplies what
// a step, a validation and a checkpoint are.
type Loop struct {
	// Name prefixes the loop's error messages ("wise", "invnet").
	Name string
	// Start is the step the run resumes from (0 for a new run), Steps the
	// run's total and StepsPerEpoch the batches of an epoch.
	Start, Steps, StepsPerEpoch int
	// Pairs is the number of training pairs and Batch the batch size: the
	// batches of epoch e are the consecutive Batch-sized runs of a
	// permutation of the pairs drawn from PCG(Seed, PermStream|e), so that
	// a resumed run repeats the uninterrupted one.
	Pairs, Batch     int
	Seed, PermStream uint64
	// StopAfter, if > 0, stops the run after that step as if interrupted.
	StopAfter int
	// CheckpointEvery, if > 0, adds a checkpoint every that many steps to
	// those at epoch ends.
	CheckpointEvery int

	// Step does step (0-based) of epoch (1-based) on the pairs batch and
	// returns its loss. Its error ends the run, as ctx's error (a clean
	// stop) if ctx is cancelled and the error is ctx's.
	Step func(ctx context.Context, step, epoch int, batch []int) (float64, error)
	// Done is called after every step with the number of steps done and
	// the step's epoch and loss (to record the loss and report progress).
	Done func(last, epoch int, loss float64)
	// ValidateAt reports whether the run validates after the step that
	// made last steps, in epoch; Validated whether the history already
	// holds the validation of epoch. Validate validates after epoch (nil:
	// the run never validates).
	ValidateAt func(epoch, last int) bool
	Validated  func(epoch int) bool
	Validate   func(epoch, last int) error
	// Checkpoint writes the checkpoint of the run after step steps.
	Checkpoint func(step int) error
}

// LoopResult is where a Loop ended.
type LoopResult struct {
	// Last is the number of steps done; Stopped reports a stop by
	// StopAfter.
	Last    int
	Stopped bool
	// Seconds is the wall time of this run's steps and checkpoints.
	Seconds float64
}

// Run runs the steps from l.Start to l.Steps. A run interrupted between an
// epoch's last step and its validation validates first (validation does not
// change the weights). After the loop (also when ctx is cancelled or
// StopAfter stops it) it writes the final checkpoint. It returns ctx's
// error when cancelled, and any other failure at once, without a final
// checkpoint.
func (l *Loop) Run(ctx context.Context) (LoopResult, error) {
	start, spe := l.Start, l.StepsPerEpoch
	if l.Validate != nil && start > 0 && start%spe == 0 && l.ValidateAt(start/spe, start) && !l.Validated(start/spe) {
		if err := l.Validate(start/spe, start); err != nil {
			return LoopResult{}, err
		}
		if err := l.Checkpoint(start); err != nil {
			return LoopResult{}, fmt.Errorf("checkpoint at step %d: %w", start, err)
		}
	}
	var perm []int
	permEpoch := -1
	t0 := time.Now()
	res := LoopResult{Last: start}
	var runErr error
	for step := start; step < l.Steps; step++ {
		if err := ctx.Err(); err != nil {
			runErr = err
			break
		}
		epoch := step/spe + 1
		if permEpoch != epoch {
			perm = rand.New(rand.NewPCG(l.Seed, l.PermStream|uint64(epoch))).Perm(l.Pairs)
			permEpoch = epoch
		}
		j := step % spe
		loss, err := l.Step(ctx, step, epoch, perm[j*l.Batch:(j+1)*l.Batch])
		if err != nil {
			if ctx.Err() != nil && err == ctx.Err() {
				runErr = err
				break
			}
			return res, err
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return res, fmt.Errorf("%s: step %d (epoch %d): loss is %v; lower train.lr or check the data", l.Name, step, epoch, loss)
		}
		res.Last = step + 1
		last := res.Last
		l.Done(last, epoch, loss)
		if l.StopAfter > 0 && last >= l.StopAfter && last < l.Steps {
			res.Stopped = true
			break
		}
		if l.Validate != nil && l.ValidateAt(epoch, last) {
			if err := l.Validate(epoch, last); err != nil {
				if ctx.Err() != nil {
					runErr = ctx.Err()
					break
				}
				return res, fmt.Errorf("%s: validation after epoch %d: %w", l.Name, epoch, err)
			}
		}
		if (last%spe == 0 || (l.CheckpointEvery > 0 && last%l.CheckpointEvery == 0)) && last < l.Steps {
			if err := l.Checkpoint(last); err != nil {
				return res, fmt.Errorf("checkpoint at step %d: %w", last, err)
			}
		}
	}
	if res.Last > start || res.Stopped || runErr != nil || start == l.Steps {
		if err := l.Checkpoint(res.Last); err != nil {
			return res, fmt.Errorf("checkpoint at step %d: %w", res.Last, err)
		}
	}
	res.Seconds = time.Since(t0).Seconds()
	return res, runErr
}

// Size is the part of an epoch-based trainer's summary (train.json) that
// says how large a run is; the summaries of wise and models/invnet embed it
// just before Progress.
type Size struct {
	Params        int `json:"params"`
	Pairs         int `json:"pairs"`
	ValPairs      int `json:"val_pairs"`
	Batch         int `json:"batch"`
	Epochs        int `json:"epochs"`
	StepsPerEpoch int `json:"steps_per_epoch"`
	Steps         int `json:"steps"`
}

// Progress is the part of a training summary (train.json) that says how
// far a run got and how fast; the trainers' summaries embed it.
type Progress struct {
	StartStep   int     `json:"start_step"`
	LastStep    int     `json:"last_step"`
	Resumed     bool    `json:"resumed"`
	Stopped     bool    `json:"stopped_early"`
	Seconds     float64 `json:"seconds"`
	SecPerStep  float64 `json:"seconds_per_step"`
	InitialLoss float64 `json:"initial_loss"`
	FinalLoss   float64 `json:"final_loss"`
}

// Finish fills in p (all but StartStep and Resumed, which the trainer sets
// when it resumes) from the run r that started at step start and the loss
// of every step since step 0: InitialLoss is the first, FinalLoss the mean
// of the last epoch's.
func (p *Progress) Finish(start int, r LoopResult, loss []float64, stepsPerEpoch int) {
	p.Stopped, p.LastStep, p.Seconds = r.Stopped, r.Last, r.Seconds
	if r.Last > start {
		p.SecPerStep = p.Seconds / float64(r.Last-start)
	}
	if len(loss) > 0 {
		p.InitialLoss = loss[0]
		p.FinalLoss = Mean(loss[max(0, len(loss)-stepsPerEpoch):])
	}
}

// LastAndBest returns the last of the validations and the best one
// (better(a, b): a is better than b; the first of equals), or nils when
// there are none.
func LastAndBest[V any](vals []V, better func(a, b V) bool) (last, best *V) {
	if len(vals) == 0 {
		return nil, nil
	}
	l, b := vals[len(vals)-1], vals[0]
	for _, v := range vals {
		if better(v, b) {
			b = v
		}
	}
	return &l, &b
}
