package wise

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestNoiseSchedulePaper(t *testing.T) {
	s := DefaultNoise()
	if d := s.Decays(); d != 26 {
		t.Fatalf("decays = %d, want 26", d)
	}
	if st, ev := s.Period(200); st != 30 || ev != 5 {
		t.Fatalf("period(200) = %d, %d; want 30, 5 (WISE's script)", st, ev)
	}
	cases := []struct {
		e    int
		want float64
	}{{1, 0.1}, {30, 0.1}, {34, 0.1}, {35, 0.1 / 1.2}, {40, 0.1 / 1.44}, {200, 1e-3}}
	for _, c := range cases {
		if got := s.Sigma(c.e, 200); abs(got-c.want) > 1e-12 {
			t.Errorf("sigma(%d) = %g, want %g", c.e, got, c.want)
		}
	}
	// Scaled to 20 epochs: decays start after epoch 3, every epoch.
	if st, ev := s.Period(20); st != 3 || ev != 1 {
		t.Fatalf("period(20) = %d, %d", st, ev)
	}
	if got := s.Sigma(4, 20); abs(got-0.1/1.2) > 1e-12 {
		t.Fatalf("sigma(4 of 20) = %g", got)
	}
	prev := 1.0
	for e := 1; e <= 20; e++ {
		sg := s.Sigma(e, 20)
		if sg > prev || sg < 1e-3 {
			t.Fatalf("sigma(%d of 20) = %g after %g", e, sg, prev)
		}
		prev = sg
	}
	if (NoiseSchedule{}).Sigma(5, 10) != 0 {
		t.Fatal("zero schedule must give no noise")
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestTrainLossDecreases(t *testing.T) {
	cfg := tinyConfig()
	cfg.Train.Epochs = 6
	if testing.Short() {
		cfg.Train.Epochs = 3
	}
	out := t.TempDir()
	sum, err := Train(context.Background(), TrainOptions{Config: cfg, Train: synthPairs(32, 1), Val: synthPairs(4, 2), Out: out})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(out, "loss.csv"))
	t.Logf("summary %+v", *sum)
	if !(sum.FinalLoss < sum.InitialLoss-0.2) {
		t.Fatalf("loss did not decrease: initial %.4f, last epoch mean %.4f\n%s", sum.InitialLoss, sum.FinalLoss, b)
	}
	if len(sum.History) != cfg.Train.Epochs {
		t.Fatalf("%d validation points, want %d", len(sum.History), cfg.Train.Epochs)
	}
	for _, f := range []string{"model.safetensors", "val.csv", "val.png", "loss.csv", "loss.png", "train.json", "checkpoint.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing output: %v", err)
		}
	}
	m, err := LoadModel(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Step != sum.Steps || m.Data.Nz != 16 {
		t.Fatalf("loaded model step %d data %+v", m.Step, m.Data)
	}
}

// TestTrainExactResume interrupts a run by cancelling its context in the
// middle of an epoch and in the middle of a checkpoint period, resumes it,
// and compares the final weights with an uninterrupted run byte for byte.
func TestTrainExactResume(t *testing.T) {
	cfg := tinyConfig()
	cfg.Train.Epochs = 3
	data, val := synthPairs(20, 3), synthPairs(3, 4) // 5 steps per epoch, 15 in all
	full := t.TempDir()
	if _, err := Train(context.Background(), TrainOptions{Config: cfg, Train: data, Val: val, Out: full}); err != nil {
		t.Fatal(err)
	}
	part := t.TempDir()
	for _, stopAt := range []int{4, 7, 10} {
		ctx, cancel := context.WithCancel(context.Background())
		_, err := Train(ctx, TrainOptions{Config: cfg, Train: data, Val: val, Out: part,
			OnStep: func(s StepInfo) {
				if s.Step == stopAt {
					cancel()
				}
			}})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted run at %d: err = %v, want context.Canceled", stopAt, err)
		}
		if _, step, err := LatestCheckpoint(part); err != nil || step != stopAt {
			t.Fatalf("checkpoint after cancel at %d: step %d, %v", stopAt, step, err)
		}
	}
	sum, err := Train(context.Background(), TrainOptions{Config: cfg, Train: data, Val: val, Out: part})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Resumed || sum.StartStep != 10 {
		t.Fatalf("resume summary %+v", sum)
	}
	for _, f := range []string{ModelFile, "loss.csv", "val.csv"} {
		a, err1 := os.ReadFile(filepath.Join(full, f))
		b, err2 := os.ReadFile(filepath.Join(part, f))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the uninterrupted and the resumed run", f)
		}
	}
	// The same directory with another configuration is refused.
	cfg2 := *cfg
	cfg2.Train.LR = 1e-3
	cfg2.Train.Epochs = 4
	if _, err := Train(context.Background(), TrainOptions{Config: &cfg2, Train: data, Val: val, Out: part}); err == nil {
		t.Fatal("resuming with another configuration must fail")
	}
}

func TestTrainStopAfterAndRTMOnly(t *testing.T) {
	cfg := tinyConfig()
	cfg.Train.Epochs = 2
	cfg.Train.RTMOnly = true
	cfg.Train.ValFraction = 0.2
	out := t.TempDir()
	sum, err := Train(context.Background(), TrainOptions{Config: cfg, Train: synthPairs(20, 5), Out: out, StopAfter: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Stopped || sum.LastStep != 2 || sum.Pairs != 16 || sum.ValPairs != 4 || !sum.RTMOnly {
		t.Fatalf("summary %+v", sum)
	}
	if _, err := os.Stat(filepath.Join(out, ModelFile)); err == nil {
		t.Fatal("a stopped run must not write the final model")
	}
	sum, err = Train(context.Background(), TrainOptions{Config: cfg, Train: synthPairs(20, 5), Out: out})
	if err != nil || !sum.Resumed || sum.LastStep != 8 {
		t.Fatalf("resumed: %+v, %v", sum, err)
	}
}

func TestRTMOnlyPairs(t *testing.T) {
	p := synthPairs(2, 1)
	r, err := RTMOnly(p)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, 256)
	g := make([]float32, 3*256)
	if err := r.Read(1, v, g); err != nil {
		t.Fatal(err)
	}
	for h := 0; h < 3; h++ {
		if !bytes.Equal(f32bytes(g[h*256:(h+1)*256]), f32bytes(p.Gather[1][256:512])) {
			t.Fatalf("channel %d is not the zero-offset image", h)
		}
	}
	p.Inf.Offsets = []int{-10, 10, 30}
	if _, err := RTMOnly(p); err == nil {
		t.Fatal("gathers without a zero offset must be refused")
	}
}

func f32bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func TestTrainBadInputs(t *testing.T) {
	cfg := tinyConfig()
	ctx := context.Background()
	if _, err := Train(ctx, TrainOptions{Config: cfg, Train: synthPairs(2, 1), Out: t.TempDir()}); err == nil {
		t.Error("fewer pairs than a batch must fail")
	}
	p := synthPairs(8, 1)
	p.Inf.Offsets = []int{-40, -20, 0, 20}
	if _, err := Train(ctx, TrainOptions{Config: cfg, Train: p, Out: t.TempDir()}); err == nil {
		t.Error("wrong number of offsets must fail")
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	if _, err := Train(ctx, TrainOptions{Config: cfg, Train: synthPairs(8, 1), Out: f}); err == nil {
		t.Error("an output that is a file must fail")
	}
	bad := *cfg
	bad.Train.Batch = 0
	if _, err := Train(ctx, TrainOptions{Config: &bad, Train: synthPairs(8, 1), Out: t.TempDir()}); err == nil {
		t.Error("batch 0 must fail")
	}
}

func TestNoiseScheduleShortRuns(t *testing.T) {
	s := DefaultNoise()
	for _, e := range []int{1, 2, 3} {
		if got := s.Sigma(1, e); got != 0.1 {
			t.Errorf("run of %d epochs: first epoch σ = %g, want 0.1", e, got)
		}
	}
}
