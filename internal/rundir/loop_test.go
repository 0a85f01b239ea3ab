package rundir

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
)

// testLoop is a Loop over 10 pairs in batches of 5 (2 steps per epoch) for
// 3 epochs that records its steps, validations and checkpoints.
type testLoop struct {
	Loop
	batches     [][]int
	validations []int // epochs
	checkpoints []int // steps
}

func newTestLoop(start int) *testLoop {
	t := &testLoop{}
	t.Loop = Loop{Name: "test", Start: start, Steps: 6, StepsPerEpoch: 2, Pairs: 10, Batch: 5, Seed: 1, PermStream: 2 << 32}
	t.Step = func(_ context.Context, step, epoch int, batch []int) (float64, error) {
		t.batches = append(t.batches, slices.Clone(batch))
		return float64(step), nil
	}
	t.Done = func(last, epoch int, loss float64) {}
	t.ValidateAt = func(epoch, last int) bool { return last%2 == 0 }
	t.Validated = func(epoch int) bool { return slices.Contains(t.validations, epoch) }
	t.Validate = func(epoch, last int) error { t.validations = append(t.validations, epoch); return nil }
	t.Checkpoint = func(step int) error { t.checkpoints = append(t.checkpoints, step); return nil }
	return t
}

func TestLoopScheduleAndResume(t *testing.T) {
	whole := newTestLoop(0)
	r, err := whole.Run(context.Background())
	if err != nil || r.Last != 6 || r.Stopped {
		t.Fatalf("run: %+v, %v", r, err)
	}
	if !slices.Equal(whole.validations, []int{1, 2, 3}) || !slices.Equal(whole.checkpoints, []int{2, 4, 6}) {
		t.Fatalf("validations %v, checkpoints %v", whole.validations, whole.checkpoints)
	}
	// Every epoch's batches are a permutation of the pairs.
	for e := 0; e < 3; e++ {
		got := slices.Concat(whole.batches[2*e], whole.batches[2*e+1])
		slices.Sort(got)
		if !slices.Equal(got, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
			t.Fatalf("epoch %d draws %v", e+1, got)
		}
	}

	// Stopped after step 3, then resumed: the same batches.
	first := newTestLoop(0)
	first.StopAfter = 3
	r, err = first.Run(context.Background())
	if err != nil || r.Last != 3 || !r.Stopped || !slices.Equal(first.checkpoints, []int{2, 3}) {
		t.Fatalf("stopped run: %+v, %v, checkpoints %v", r, err, first.checkpoints)
	}
	second := newTestLoop(3)
	second.validations = first.validations
	if _, err := second.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := append(first.batches, second.batches...); !slices.EqualFunc(got, whole.batches, slices.Equal) {
		t.Fatalf("resumed batches %v, want %v", got, whole.batches)
	}

	// Resumed at an epoch end whose validation is missing: it validates
	// and checkpoints first.
	late := newTestLoop(4)
	late.validations = []int{1}
	if _, err := late.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(late.validations, []int{1, 2, 3}) || late.checkpoints[0] != 4 {
		t.Fatalf("late resume: validations %v, checkpoints %v", late.validations, late.checkpoints)
	}
}

func TestLoopCancelAndFailures(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	l := newTestLoop(0)
	step := l.Step
	l.Step = func(ctx context.Context, s, epoch int, batch []int) (float64, error) {
		if s == 3 {
			cancel()
			return 0, ctx.Err()
		}
		return step(ctx, s, epoch, batch)
	}
	r, err := l.Run(ctx)
	if err != context.Canceled || r.Last != 3 || l.checkpoints[len(l.checkpoints)-1] != 3 {
		t.Fatalf("cancelled: %+v, %v, checkpoints %v", r, err, l.checkpoints)
	}

	l = newTestLoop(0)
	l.Step = func(context.Context, int, int, []int) (float64, error) { return math.NaN(), nil }
	if _, err := l.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "test: step 0 (epoch 1): loss is NaN") || len(l.checkpoints) != 0 {
		t.Fatalf("NaN loss: %v, checkpoints %v", err, l.checkpoints)
	}
}
