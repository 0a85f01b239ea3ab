package wavediff

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"genfwi/models/vqae"
	"genfwi/nn"
)

// tinyVQAE is a minimal joint autoencoder at the pipeline's resolution.
func tinyVQAE(mode vqae.Mode) *vqae.Config {
	c := &vqae.Config{Name: "tiny", Mode: mode, EmbedDim: 4, NEmbed: 16, Beta: 0.25, VQLoss: "legacy", Seed: 9,
		Train: vqae.TrainConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, BatchSize: 2, Steps: 6, GradClip: 1, LRDecay: 0.9, DecayEvery: 2, DeadCodeEvery: 2}}
	if mode != vqae.VelocityOnly {
		c.Seismic = &vqae.BranchConfig{InChannels: 5, Resolution: [2]int{256, 64}, Ch: 8, ChMult: []int{1, 1, 1, 1, 1},
			Down: [][2]int{{2, 1}, {2, 1}, {2, 2}, {2, 2}}, NumResBlocks: 1, ZChannels: 4, NormGroups: 4}
	}
	if mode != vqae.SeismicOnly {
		c.Velocity = &vqae.BranchConfig{InChannels: 1, Resolution: [2]int{64, 64}, Ch: 8, ChMult: []int{1, 1, 1},
			Down: [][2]int{{2, 2}, {2, 2}}, NumResBlocks: 1, ZChannels: 4, NormGroups: 4}
	}
	return c
}

func arenaOf(t *testing.T, path string) []float32 {
	t.Helper()
	m, _, err := vqae.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return slices.Clone(m.Arena.Data)
}

// TestTrainVQAEResumeEqualsUninterrupted: 6 steps in one go give bit-identical
// weights, optimiser state and loss history to 3 steps, a stop, and a resume.
func TestTrainVQAEResumeEqualsUninterrupted(t *testing.T) {
	ctx := context.Background()
	pairs := synthPairs(10, 5, 0)
	cfg := tinyVQAE(vqae.Joint)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	dirA, dirB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	sa, err := TrainVQAE(ctx, cfg, pairs, TrainOptions{Out: dirA, Seed: 4, CheckpointEvery: 4, SampleEvery: 6})
	if err != nil {
		t.Fatal(err)
	}
	if sa.Resumed || sa.Stopped || sa.Steps != 6 {
		t.Fatalf("summary %+v", sa)
	}
	sb, err := TrainVQAE(ctx, cfg, pairs, TrainOptions{Out: dirB, Seed: 4, CheckpointEvery: 4, StopAfter: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !sb.Stopped {
		t.Fatal("run B did not stop at step 3")
	}
	if _, err := os.Stat(filepath.Join(dirB, modelFile)); err == nil {
		t.Fatal("an interrupted run wrote a final model")
	}
	if _, step, err := LatestCheckpoint(dirB); err != nil || step != 3 {
		t.Fatalf("checkpoint after stop: step %d, %v", step, err)
	}
	sb2, err := TrainVQAE(ctx, cfg, pairs, TrainOptions{Out: dirB, Seed: 4, CheckpointEvery: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !sb2.Resumed || sb2.StartStep != 3 {
		t.Fatalf("resume summary %+v", sb2)
	}
	wa, wb := arenaOf(t, filepath.Join(dirA, modelFile)), arenaOf(t, filepath.Join(dirB, modelFile))
	if !slices.Equal(wa, wb) {
		t.Fatal("resumed weights differ from the uninterrupted run")
	}
	ha, _ := os.ReadFile(filepath.Join(dirA, "loss.csv"))
	hb, _ := os.ReadFile(filepath.Join(dirB, "loss.csv"))
	if string(ha) != string(hb) || len(ha) == 0 {
		t.Fatalf("loss histories differ:\n%s\n---\n%s", ha, hb)
	}
	if _, err := os.Stat(filepath.Join(dirA, "samples", "step-0000006.png")); err != nil {
		t.Fatalf("no sample figure: %v", err)
	}
	// The run trained: weights moved from the initialisation.
	m0, _ := vqae.New(*cfg)
	if slices.Equal(m0.Arena.Data, wa) {
		t.Fatal("training did not change the weights")
	}
	// The optimiser state travels too.
	pa, _, _ := LatestCheckpoint(dirA)
	pb, _, _ := LatestCheckpoint(dirB)
	ta, _, err := nn.ReadSafetensors(nn.StatePath(pa))
	if err != nil {
		t.Fatal(err)
	}
	tb, _, _ := nn.ReadSafetensors(nn.StatePath(pb))
	if len(ta) != len(tb) {
		t.Fatal("train states differ in size")
	}
}
