package wavediff

import (
	"context"
	"fmt"
	"genfwi/openfwi"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"genfwi/models/diffusion"
	"genfwi/models/vqae"
	"genfwi/nn"
	"genfwi/tensor"
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
	other := tinyVQAE(vqae.Joint)
	other.Train.LR = 5e-4
	if _, err := TrainVQAE(ctx, other, pairs, TrainOptions{Out: dirB, Seed: 4}); err == nil || !strings.Contains(err.Error(), "another configuration") {
		t.Fatalf("resuming with another config: %v", err)
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

func tinyDiffusion() *diffusion.Config {
	return &diffusion.Config{Name: "tiny",
		Schedule: diffusion.ScheduleConfig{Timesteps: 50, LinearStart: 0.0015, LinearEnd: 0.0155, Kind: "linear"},
		UNet: diffusion.UNetConfig{ImageSize: 16, InChannels: 4, OutChannels: 4, ModelChannels: 8, ChannelMult: []int{1, 2},
			NumResBlocks: 1, AttentionResolutions: []int{2}, NumHeads: 2, NormGroups: 4},
		Loss: "l1", ScaleByStd: true, Seed: 2,
		Train: diffusion.TrainConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, WeightDecay: 0.01, BatchSize: 4, Steps: 6,
			WarmupSteps: 3, WarmupStart: 0.1, EMADecay: 0.99, GradClip: 1}}
}

// TestTrainDiffusionResumeAndGenerate: the diffusion loop resumes exactly
// (weights = EMA weights of the uninterrupted run) and its model generates
// decodable pairs in the pipeline's layout.
func TestTrainDiffusionResumeAndGenerate(t *testing.T) {
	ctx := context.Background()
	pairs := synthPairs(8, 6, 0)
	dir := t.TempDir()
	ae := filepath.Join(dir, "ae")
	if _, err := TrainVQAE(ctx, tinyVQAE(vqae.Joint), pairs, TrainOptions{Out: ae, Steps: 2, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	aePath := filepath.Join(ae, modelFile)
	cfg := tinyDiffusion()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if _, err := TrainDiffusion(ctx, cfg, aePath, pairs, TrainOptions{Out: a, Seed: 3, SampleEvery: 6}); err != nil {
		t.Fatal(err)
	}
	if _, err := TrainDiffusion(ctx, cfg, aePath, pairs, TrainOptions{Out: b, Seed: 3, StopAfter: 2}); err != nil {
		t.Fatal(err)
	}
	s, err := TrainDiffusion(ctx, cfg, aePath, pairs, TrainOptions{Out: b, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Resumed || s.StartStep != 2 {
		t.Fatalf("summary %+v", s)
	}
	ma, meta, err := diffusion.Load(filepath.Join(a, modelFile))
	if err != nil {
		t.Fatal(err)
	}
	mb, _, err := diffusion.Load(filepath.Join(b, modelFile))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ma.Arena.Data, mb.Arena.Data) || ma.ScaleFactor != mb.ScaleFactor {
		t.Fatal("resumed diffusion run differs from the uninterrupted one")
	}
	if meta["vqae"] == "" || meta["weights"] != "ema" {
		t.Fatalf("metadata %v lacks the autoencoder or EMA marker", meta)
	}
	// The EMA counts its updates as LitEma does: one per step (the
	// committed weights, trained before, record steps + 1).
	if meta["step"] != "6" {
		t.Fatalf("final model records step %q after 6 steps", meta["step"])
	}
	aeM, _, _ := vqae.Load(aePath)
	vel, seis, err := Generate(ctx, ma, aeM, 3, GenerateOptions{Method: "ddim", Steps: 5, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(vel) != 3*VelLen || len(seis) != 3*SeisLen {
		t.Fatalf("generated %d/%d values", len(vel), len(seis))
	}
	v2, _, _ := Generate(ctx, ma, aeM, 3, GenerateOptions{Method: "ddim", Steps: 5, Seed: 1}, nil)
	if !slices.Equal(vel, v2) {
		t.Fatal("generation with a fixed seed is not reproducible")
	}
	if _, err := os.Stat(filepath.Join(a, "samples", "step-0000006.png")); err != nil {
		t.Fatal(err)
	}
	// Float16 copies in sibling directories load, find each other by the
	// float32 checksum, and generate nearly the same pairs.
	w := filepath.Join(dir, "weights")
	if err := CompactCheckpoint(aePath, filepath.Join(w, "ae", modelFile)); err != nil {
		t.Fatal(err)
	}
	if err := CompactCheckpoint(filepath.Join(a, modelFile), filepath.Join(w, "diff", modelFile)); err != nil {
		t.Fatal(err)
	}
	st32, _ := os.Stat(filepath.Join(a, modelFile))
	st16, _ := os.Stat(filepath.Join(w, "diff", modelFile))
	if st16.Size() > st32.Size()*6/10 {
		t.Fatalf("float16 copy is %d bytes, float32 %d", st16.Size(), st32.Size())
	}
	os.RemoveAll(ae) // the recorded float32 autoencoder is gone: only the sibling copy remains
	dm16, ae16, _, err := LoadDiffusion(filepath.Join(w, "diff"), "")
	if err != nil {
		t.Fatal(err)
	}
	v16, _, err := Generate(ctx, dm16, ae16, 3, GenerateOptions{Method: "ddim", Steps: 5, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := maxAbs(vel, v16); e > 0.05 {
		t.Fatalf("float16 weights change generated velocities by %g", e)
	}
}

// TestTrainVQAEWarmupStandardized: a joint model with a standardised seismic
// branch and a VQ warm-up of 3 of 6 steps starts from the data's
// statistics (encoder μ = the per-pixel mean, decoder bias = μ), trains the
// warm-up without the VQ layer (VQ loss 0, no codes chosen), then with a
// codebook initialised from its latents (codes far larger than the U(−1/K,
// 1/K) initialisation), and resumes bit for bit from a stop inside the
// warm-up and from one after the codebook initialisation.
func TestTrainVQAEWarmupStandardized(t *testing.T) {
	ctx := context.Background()
	pairs := synthPairs(10, 5, 0)
	cfg := tinyVQAE(vqae.Joint)
	sb := *cfg.Seismic
	sb.Standardize = true
	cfg.Seismic = &sb
	cfg.Train.VQWarmup = 3
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	dirA := filepath.Join(t.TempDir(), "a")
	if _, err := TrainVQAE(ctx, cfg, pairs, TrainOptions{Out: dirA, Seed: 4, CheckpointEvery: 6, SampleEvery: 100}); err != nil {
		t.Fatal(err)
	}
	m, _, err := vqae.Load(filepath.Join(dirA, modelFile))
	if err != nil {
		t.Fatal(err)
	}
	mean, std := pixelStats(pairs.N, SeisLen, pairs.Seismic)
	if !slices.Equal(m.SeisEnc.InMean.Value().Data, mean) {
		t.Error("encoder μ is not the per-pixel training mean")
	}
	if got := m.SeisEnc.InScale.Value().Data[0]; got != float32(1/std) || std <= 0 {
		t.Errorf("encoder 1/σ = %g, want %g", got, 1/std)
	}
	rows := readLossCSV(t, filepath.Join(dirA, "loss.csv"))
	for _, r := range rows {
		if warm := r["step"] <= 3; warm != (r["vq"] == 0) || warm != (r["perplexity"] == 0) {
			t.Errorf("step %g: vq %g, perplexity %g (warm-up is steps 1–3)", r["step"], r["vq"], r["perplexity"])
		}
	}
	big := 0
	for _, x := range m.Quant.Codebook.Table.Value().Data {
		if x > 1.0/16 || x < -1.0/16 {
			big++
		}
	}
	if big == 0 {
		t.Error("the codebook still looks like its U(−1/K, 1/K) initialisation")
	}
	want := arenaOf(t, filepath.Join(dirA, modelFile))
	for _, stop := range []int{2, 4} {
		dir := filepath.Join(t.TempDir(), fmt.Sprint("stop", stop))
		if _, err := TrainVQAE(ctx, cfg, pairs, TrainOptions{Out: dir, Seed: 4, CheckpointEvery: 6, StopAfter: stop}); err != nil {
			t.Fatal(err)
		}
		if _, err := TrainVQAE(ctx, cfg, pairs, TrainOptions{Out: dir, Seed: 4, CheckpointEvery: 6}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(arenaOf(t, filepath.Join(dir, modelFile)), want) {
			t.Errorf("stopped after %d steps and resumed: weights differ from the uninterrupted run", stop)
		}
	}
}

// readLossCSV parses a loss.csv into one map per row (column → value).
func readLossCSV(t *testing.T, path string) []map[string]float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	head := strings.Split(lines[0], ",")
	var rows []map[string]float64
	for _, l := range lines[1:] {
		r := map[string]float64{}
		for i, f := range strings.Split(l, ",") {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatalf("%s: %q: %v", path, l, err)
			}
			r[head[i]] = v
		}
		rows = append(rows, r)
	}
	return rows
}

// TestInputNoise: the noisy encoder input of train.input_noise equals
// resizing the full-resolution normalised gathers plus noise of the drawn
// σ (what Invert does with --noise), σ stays within [0, max], and a one-in-
// two-out run with it resumes bit-exactly.
func TestInputNoise(t *testing.T) {
	codec, _ := CodecFor("curvevel-a")
	full := make([]float32, 2*FullSeis)
	for i := range full {
		full[i] = float32(math.Sin(float64(i) * 0.001))
	}
	s := tensor.New(2, Shots, SeisT, SeisR)
	for i := 0; i < 2; i++ {
		codec.SeismicNormToModel(s.Data[i*SeisLen:(i+1)*SeisLen], full[i*FullSeis:(i+1)*FullSeis])
	}
	const maxSigma = 0.2
	z := newInputNoise(codec, 4)
	pcg := rand.NewPCG(11, 12)
	got := z.add(s, maxSigma, rand.New(pcg))
	ref := rand.New(rand.NewPCG(11, 12))
	want := make([]float32, SeisLen)
	noisy := make([]float32, FullSeis)
	for i := 0; i < 2; i++ {
		sigma := maxSigma * ref.Float64()
		if sigma < 0 || sigma > maxSigma {
			t.Fatalf("σ = %g", sigma)
		}
		for k := range noisy {
			noisy[k] = full[i*FullSeis+k] + float32(sigma*ref.NormFloat64())
		}
		codec.SeismicNormToModel(want, noisy)
		for k, w := range want {
			if d := math.Abs(float64(got.Data[i*SeisLen+k] - w)); d > 1e-5 {
				t.Fatalf("sample %d value %d: %g, resized noisy data %g", i, k, got.Data[i*SeisLen+k], w)
			}
		}
	}

	ctx := context.Background()
	pairs := synthPairs(10, 5, 0)
	cfg := tinyVQAE(vqae.OneInTwoOut)
	cfg.Train.InputNoise = 0.1
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	dirA, dirB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	if _, err := TrainVQAE(ctx, cfg, pairs, TrainOptions{Out: dirA, Seed: 4, CheckpointEvery: 6, SampleEvery: 100}); err != nil {
		t.Fatal(err)
	}
	if _, err := TrainVQAE(ctx, cfg, pairs, TrainOptions{Out: dirB, Seed: 4, CheckpointEvery: 6, StopAfter: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := TrainVQAE(ctx, cfg, pairs, TrainOptions{Out: dirB, Seed: 4, CheckpointEvery: 6}); err != nil {
		t.Fatal(err)
	}
	wa := arenaOf(t, filepath.Join(dirA, modelFile))
	if !slices.Equal(wa, arenaOf(t, filepath.Join(dirB, modelFile))) {
		t.Error("input_noise run stopped after 3 steps and resumed: weights differ from the uninterrupted run")
	}
	clean := *cfg
	clean.Train.InputNoise = 0
	dirC := filepath.Join(t.TempDir(), "c")
	if _, err := TrainVQAE(ctx, &clean, pairs, TrainOptions{Out: dirC, Seed: 4, CheckpointEvery: 6, SampleEvery: 100}); err != nil {
		t.Fatal(err)
	}
	if slices.Equal(wa, arenaOf(t, filepath.Join(dirC, modelFile))) {
		t.Error("input_noise did not change training")
	}
}

// tinyNative70 is tinyVQAE in the native70 geometry: both branches read
// OpenFWI's 70-wide grids through their input adapters.
func tinyNative70(mode vqae.Mode) *vqae.Config {
	c := tinyVQAE(mode)
	c.Geometry = "native70"
	if c.Seismic != nil {
		c.Seismic.InputSize = [2]int{256, 70}
		c.Seismic.Standardize = true
	}
	if c.Velocity != nil {
		c.Velocity.InputSize = [2]int{70, 70}
	}
	return c
}

// synthFull returns n synthetic pairs in the OpenFWI layout (a two-layer
// map and a gather with one event at a depth-dependent time).
func synthFull(n int) (vel, seis []float32) {
	vel, seis = make([]float32, n*FullVel), make([]float32, n*FullSeis)
	for i := 0; i < n; i++ {
		d := 15 + 7*i
		for k := 0; k < FullVel; k++ {
			vel[i*FullVel+k] = 2000
			if k/openfwi.NX > d {
				vel[i*FullVel+k] = 3000 + 50*float32(i)
			}
		}
		for k := 0; k < FullSeis; k++ {
			tt, x := (k%(openfwi.NT*openfwi.Receivers))/openfwi.Receivers, k%openfwi.Receivers
			arr := 10*d + 2*x
			seis[i*FullSeis+k] = float32(5 * math.Exp(-float64((tt-arr)*(tt-arr))/80) * math.Cos(float64(tt-arr)/3))
		}
	}
	return vel, seis
}

// TestNative70Training trains a tiny native70 joint autoencoder (and a
// one-in-two-out one with input noise) and a diffusion model on it, and
// generates pairs in the native70 layout; pairs of another geometry are
// refused with an error, not a panic.
func TestNative70Training(t *testing.T) {
	ctx := context.Background()
	c, _ := CodecFor("curvevel-a")
	n70 := c
	n70.Geom = Native70()
	fullV, fullS := synthFull(6)
	pairs := PairsFromFull(n70, fullV, fullS)
	dir := t.TempDir()
	ae := filepath.Join(dir, "ae")
	if _, err := TrainVQAE(ctx, tinyNative70(vqae.Joint), pairs, TrainOptions{Out: ae, Steps: 3, Seed: 1, SampleEvery: 3}); err != nil {
		t.Fatal(err)
	}
	one := tinyNative70(vqae.OneInTwoOut)
	one.Train.InputNoise = 0.1
	if _, err := TrainVQAE(ctx, one, pairs, TrainOptions{Out: filepath.Join(dir, "one"), Steps: 2, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := TrainVQAE(ctx, tinyNative70(vqae.Joint), synthPairs(4, 1, 0), TrainOptions{Out: filepath.Join(dir, "x"), Steps: 1}); err == nil || !strings.Contains(err.Error(), "geometry") {
		t.Fatalf("native70 config on resized64 pairs: err = %v", err)
	}
	aePath := filepath.Join(ae, modelFile)
	m, codec, err := LoadVQAE(aePath)
	if err != nil {
		t.Fatal(err)
	}
	if codec.G() != Native70() {
		t.Fatalf("loaded codec geometry %+v", codec.G())
	}
	diff := filepath.Join(dir, "diff")
	if _, err := TrainDiffusion(ctx, tinyDiffusion(), aePath, pairs, TrainOptions{Out: diff, Steps: 2, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := TrainDiffusion(ctx, tinyDiffusion(), aePath, synthPairs(4, 1, 0), TrainOptions{Out: filepath.Join(dir, "d2"), Steps: 1}); err == nil || !strings.Contains(err.Error(), "geometry") {
		t.Fatalf("native70 autoencoder on resized64 pairs: err = %v", err)
	}
	dm, _, gc, err := LoadDiffusion(diff, "")
	if err != nil {
		t.Fatal(err)
	}
	vel, seis, err := Generate(ctx, dm, m, 2, GenerateOptions{Method: "ddim", Steps: 3, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(vel) != 2*70*70 || len(seis) != 2*5*256*70 || gc.G() != Native70() {
		t.Fatalf("generated %d velocity and %d seismic values with geometry %s", len(vel), len(seis), gc.G().Name)
	}
	fv, fs := make([]float32, 2*FullVel), make([]float32, 2*FullSeis)
	ToOpenFWI(gc, vel, seis, fv, fs)
	// Draws averages independent refinements of one encoded latent: equal
	// to decoding three Denoise calls on one RNG stream and averaging.
	vIn, sIn := synthFull(2)
	three, err := Invert(ctx, m, codec, sIn, vIn, InvertOptions{Diffusion: dm, TStar: 20, Method: "ddim", Steps: 10, Seed: 4, Draws: 3})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Invert(ctx, m, codec, sIn, vIn, InvertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := encodeFull(t, m, codec, sIn, vIn)
	drng := rand.New(rand.NewPCG(4, 0x73646564))
	mv, ms := make([]float32, 2*codec.VelLen()), make([]float32, 2*codec.SeisLen())
	for range 3 {
		hk, err := dm.Denoise(ctx, h, 20, diffusion.SampleOptions{Method: "ddim", Steps: 10, RNG: drng}, nil)
		if err != nil {
			t.Fatal(err)
		}
		vk, sk, _ := Decode(ctx, m, hk)
		accumulate(mv, vk)
		accumulate(ms, sk)
	}
	scaleAll(mv, 1.0/3)
	scaleAll(ms, 1.0/3)
	wv, ws := make([]float32, 2*FullVel), make([]float32, 2*FullSeis)
	ToOpenFWI(codec, mv, ms, wv, ws)
	if e := math.Max(maxAbs(three.Vel, wv)/1000, maxAbs(three.Seis, ws)); e > 1e-4 {
		t.Fatalf("Draws 3 differs from the mean of three refinements by %g", e)
	}
	single, err := Invert(ctx, m, codec, sIn, vIn, InvertOptions{Diffusion: dm, TStar: 20, Method: "ddim", Steps: 10, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbs(three.Seis, single.Seis); d < 100*1e-4 {
		t.Fatalf("one draw and the mean of three differ by only %g: the check above cannot tell them apart", d)
	}
	if maxAbs(three.Vel, plain.Vel) == 0 {
		t.Fatal("the refined inversion equals the autoencoder's")
	}
	// Inversion through the one-in-two-out native70 model.
	om, oc, err := LoadVQAE(filepath.Join(dir, "one"))
	if err != nil {
		t.Fatal(err)
	}
	_, s := synthFull(2)
	res, err := Invert(ctx, om, oc, s, nil, InvertOptions{Noise: 0.05, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Vel) != 2*FullVel || len(res.Seis) != 2*FullSeis {
		t.Fatalf("inversion returned %d/%d values", len(res.Vel), len(res.Seis))
	}
}

// encodeFull encodes pairs in the OpenFWI layout with a joint autoencoder.
func encodeFull(t *testing.T, m *vqae.Model, codec Codec, seis, vels []float32) *tensor.Tensor {
	t.Helper()
	p := PairsFromFull(codec, vels, seis)
	h, err := EncodeLatents(context.Background(), m, p)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
