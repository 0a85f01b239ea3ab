package wavediff

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"genfwi/nn/nntest"
)

// TestTrainProxyStopsCheckpointsAndResumes: TrainProxy honours StopAfter
// and CheckpointEvery, and a run stopped and resumed ends with the weights
// of the uninterrupted run.
func TestTrainProxyStopsCheckpointsAndResumes(t *testing.T) {
	ctx := context.Background()
	pairs := synthPairs(24, 5, 0)
	cfg := ProxyConfig{Steps: 6, Batch: 4, LR: 3e-3, Seed: 7}
	whole := filepath.Join(t.TempDir(), "whole")
	if _, err := TrainProxy(ctx, cfg, pairs, TrainOptions{Out: whole, CheckpointEvery: 2, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	split := filepath.Join(t.TempDir(), "split")
	var steps []int
	o := TrainOptions{Out: split, CheckpointEvery: 2, StopAfter: 3, Seed: 7, OnStep: func(s StepInfo) { steps = append(steps, s.Step) }}
	sum, err := TrainProxy(ctx, cfg, pairs, o)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Stopped || len(steps) != 3 {
		t.Fatalf("--stop-after 3: stopped %v after steps %v", sum.Stopped, steps)
	}
	if _, step, err := LatestCheckpoint(split); err != nil || step != 3 {
		t.Fatalf("checkpoint after the stop: step %d, %v; want 3", step, err)
	}
	if _, err := os.Stat(filepath.Join(split, modelFile)); err == nil {
		t.Fatal("a stopped run wrote its final model")
	}
	o.StopAfter, steps = 0, nil
	if sum, err = TrainProxy(ctx, cfg, pairs, o); err != nil {
		t.Fatal(err)
	}
	if !sum.Resumed || sum.StartStep != 3 || len(steps) != 3 || steps[0] != 4 {
		t.Fatalf("resume: resumed %v from %d, steps %v; want steps 4..6", sum.Resumed, sum.StartStep, steps)
	}
	nntest.SameWeights(t, filepath.Join(whole, modelFile), filepath.Join(split, modelFile))
	// The final model is a working FD-proxy network.
	if _, err := LoadProxyNet(filepath.Join(split, modelFile)); err != nil {
		t.Fatal(err)
	}
}
