package nn

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"genfwi/autograd"
	"genfwi/tensor"
)

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func TestCheckpointRoundTripBitExact(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	src := newSmallCNN(rand.New(rand.NewPCG(1, 1)))
	a := NewArena(src.Params())
	for i := range src.bn.Stats.Mean {
		src.bn.Stats.Mean[i], src.bn.Stats.Var[i] = float32(i)*0.25, 1+float32(i)
	}
	a.Data[0] = float32(math.Inf(1)) // special values survive too
	a.Data[1] = -0.0
	cfg := map[string]any{"channels": 8, "name": "small"}
	if err := SaveModel(path, a, src.Buffers(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	dst := newSmallCNN(rand.New(rand.NewPCG(9, 9)))
	b := NewArena(dst.Params())
	meta, err := LoadModel(path, b, dst.Buffers())
	if err != nil {
		t.Fatal(err)
	}
	if !sameBits(a.Data, b.Data) || !sameBits(src.bn.Stats.Var, dst.bn.Stats.Var) || !sameBits(src.bn.Stats.Mean, dst.bn.Stats.Mean) {
		t.Fatal("weights or buffers differ after a round trip")
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(meta["config"]), &got); err != nil || got["name"] != "small" || got["channels"] != 8.0 {
		t.Fatalf("config metadata %q did not round-trip (%v)", meta["config"], err)
	}
}

// TestSafetensorsLayout checks the bytes against the format specification
// independently of our reader.
func TestSafetensorsLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.safetensors")
	ts := []Named{{"a", tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)}, {"b", tensor.FromSlice([]float32{-1}, 1)}}
	if err := WriteSafetensors(path, ts, map[string]string{"config": `{"k":1}`}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hl := binary.LittleEndian.Uint64(raw)
	if (8+hl)%8 != 0 {
		t.Errorf("data not 8-byte aligned: header length %d", hl)
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+hl], &h); err != nil {
		t.Fatal(err)
	}
	var ea struct {
		DType       string `json:"dtype"`
		Shape       []int  `json:"shape"`
		DataOffsets []int  `json:"data_offsets"`
	}
	if err := json.Unmarshal(h["a"], &ea); err != nil || ea.DType != "F32" || !tensor.SameShape(ea.Shape, []int{2, 3}) || ea.DataOffsets[0] != 0 || ea.DataOffsets[1] != 24 {
		t.Fatalf("header entry for a: %s", h["a"])
	}
	var meta map[string]string
	if err := json.Unmarshal(h["__metadata__"], &meta); err != nil || meta["config"] != `{"k":1}` {
		t.Fatalf("metadata %s", h["__metadata__"])
	}
	data := raw[8+hl:]
	if len(data) != 28 || math.Float32frombits(binary.LittleEndian.Uint32(data[20:])) != 6 || math.Float32frombits(binary.LittleEndian.Uint32(data[24:])) != -1 {
		t.Fatalf("data section wrong (%d bytes)", len(data))
	}
}

func TestCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	m := newSmallCNN(rand.New(rand.NewPCG(1, 1)))
	a := NewArena(m.Params())
	if err := SaveModel(good, a, m.Buffers(), nil, nil); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(good)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hl := binary.LittleEndian.Uint64(raw)
	badJSON := append([]byte(nil), raw...)
	badJSON[8] = '['
	f16 := []byte(strings.Replace(string(raw), `"F32"`, `"F16"`, 1))
	cases := []struct {
		name, path, want string
		mismatch         bool
	}{
		{"missing file", filepath.Join(dir, "nope.safetensors"), "no such file", false},
		{"empty", write("empty", nil), "too short", false},
		{"truncated data", write("trunc", raw[:len(raw)-10]), "data", false},
		{"truncated header", write("trunch", raw[:8+hl/2]), "header length", false},
		{"bad json", write("badjson", badJSON), "not valid JSON", false},
		{"dtype", write("f16", f16), "dtype", false},
	}
	for _, c := range cases {
		_, err := LoadModel(c.path, a, m.Buffers())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	// A different architecture: a mismatch naming the tensors.
	other := NewArena([]*Param{NewParam("c1.weight", tensor.New(8, 2, 5, 5)), NewParam("extra", tensor.New(3))})
	_, err := LoadModel(good, other, nil)
	if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), `"c1.weight" has shape`) || !strings.Contains(err.Error(), `missing "extra"`) || !strings.Contains(err.Error(), `unexpected "c1.bias"`) {
		t.Errorf("mismatch error: %v", err)
	}
	// Nothing was modified by the failed load.
	if other.Data[0] != 0 {
		t.Error("a failed load modified the arena")
	}
}

// trainRun trains the small CNN with dropout, AdamW, clipping, a warm-up
// cosine schedule and EMA. If stopAt > 0 it checkpoints after stopAt steps,
// rebuilds everything from scratch (different init seed), loads the
// checkpoint and finishes the run. It returns the final weights, the EMA
// weights and the next random number.
func trainRun(t *testing.T, steps, stopAt int, dir string) ([]float32, []float32, uint64) {
	build := func(seed uint64) (*smallCNN, *Arena, *Adam, *rand.PCG, *rand.Rand, *EMA) {
		m := newSmallCNN(rand.New(rand.NewPCG(seed, seed)))
		a := NewArena(m.Params())
		src := rand.NewPCG(42, 43)
		return m, a, NewAdamW(), src, rand.New(src), NewEMA(a, 0.99, true)
	}
	m, a, opt, src, rng, ema := build(1)
	sched := Warmup{Steps: 3, Start: 0.1, Then: Cosine{Base: 1e-2, Min: 1e-3, Steps: steps}}
	tp := autograd.NewTape()
	for step := 0; step < steps; step++ {
		if stopAt > 0 && step == stopAt {
			path := filepath.Join(dir, "ck.safetensors")
			if err := SaveModel(path, a, m.Buffers(), map[string]int{"step": step}, nil); err != nil {
				t.Fatal(err)
			}
			if err := SaveTrainState(StatePath(path), &TrainState{Step: step, Opt: opt, RNG: src, EMA: ema}); err != nil {
				t.Fatal(err)
			}
			m, a, opt, src, rng, ema = build(99) // a fresh process
			if _, err := LoadModel(path, a, m.Buffers()); err != nil {
				t.Fatal(err)
			}
			st := &TrainState{Opt: opt, RNG: src, EMA: ema}
			if err := LoadTrainState(StatePath(path), st, a.NumParams()); err != nil {
				t.Fatal(err)
			}
			if st.Step != step {
				t.Fatalf("restored step %d, want %d", st.Step, step)
			}
		}
		x := tensor.Randn(rng, 1, 4, 2, 8, 8)
		y := tensor.Randn(rng, 1, 4, 3)
		tp.Reset()
		a.ZeroGrad()
		l := autograd.MSE(m.Forward(tp.Const(x), rng, true), tp.Const(y))
		autograd.Backward(l)
		ClipGlobalNorm(a, 1)
		opt.Step(a, sched.LR(step))
		ema.Update(a)
	}
	return append([]float32(nil), a.Data...), append([]float32(nil), ema.Shadow...), rng.Uint64()
}

func TestResumeEqualsUninterruptedRun(t *testing.T) {
	dir := t.TempDir()
	w1, e1, r1 := trainRun(t, 8, 0, dir)
	w2, e2, r2 := trainRun(t, 8, 5, dir)
	if !sameBits(w1, w2) || !sameBits(e1, e2) || r1 != r2 {
		t.Fatal("resumed run differs from the uninterrupted run")
	}
	// And the check can fail: a run with a different stop point but no
	// restore of the RNG would differ.
	w3, _, _ := trainRun(t, 7, 0, dir)
	if sameBits(w1, w3) {
		t.Fatal("runs of different length agree; the comparison is vacuous")
	}
}

func TestTrainStateErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.state.safetensors")
	a := NewArena([]*Param{NewParam("w", tensor.New(4))})
	opt := NewAdam()
	opt.Step(a, 1e-3)
	if err := SaveTrainState(p, &TrainState{Step: 1, Opt: opt}); err != nil {
		t.Fatal(err)
	}
	if err := LoadTrainState(p, &TrainState{Opt: &SGD{}}, 4); err == nil || !strings.Contains(err.Error(), "not sgd") {
		t.Errorf("loading Adam state into SGD: %v", err)
	}
	if err := LoadTrainState(p, &TrainState{Opt: NewAdam()}, 5); err == nil || !strings.Contains(err.Error(), "5 parameters") {
		t.Errorf("loading state for the wrong model size: %v", err)
	}
	if err := LoadTrainState(p, &TrainState{Opt: NewAdamW()}, 4); err == nil {
		t.Error("loading Adam state into AdamW succeeded")
	}
	if err := LoadTrainState(p, &TrainState{Opt: NewAdam(), RNG: rand.NewPCG(1, 1)}, 4); err == nil || !strings.Contains(err.Error(), "RNG") {
		t.Errorf("state without RNG: %v", err)
	}
}

// TestLegacyEMAStateResumesExactly loads a training state written before
// nn.EMA counted like LitEma (counter "ema_n" = c, next decay
// (1+c)/(10+c)): the loaded EMA continues with that same decay, and a state
// saved again records "ema_updates".
func TestLegacyEMAStateResumesExactly(t *testing.T) {
	dir := t.TempDir()
	a := oneParam(2, 0)
	ema := NewEMA(a, 0.999, true)
	for range 5 {
		ema.Update(a)
	}
	path := filepath.Join(dir, "s.state.safetensors")
	if err := SaveTrainState(path, &TrainState{Step: 5, Opt: NewAdamW(), EMA: ema}); err != nil {
		t.Fatal(err)
	}
	ts, meta, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta["ema_updates"] != "5" {
		t.Fatalf("ema_updates = %q, want 5", meta["ema_updates"])
	}
	// Rewrite it as the older code did: the counter of the old rule.
	const c = 7
	delete(meta, "ema_updates")
	meta["ema_n"] = strconv.Itoa(c)
	if err := WriteSafetensors(path, ts, meta); err != nil {
		t.Fatal(err)
	}
	got := NewEMA(a, 0.999, true)
	if err := LoadTrainState(path, &TrainState{Opt: NewAdamW(), EMA: got}, a.NumParams()); err != nil {
		t.Fatal(err)
	}
	if want := float64(1+c) / float64(10+c); got.NextDecay() != want {
		t.Fatalf("legacy state: next decay %g, the old rule continues with %g", got.NextDecay(), want)
	}
	// Neither count: refused.
	delete(meta, "ema_n")
	if err := WriteSafetensors(path, ts, meta); err != nil {
		t.Fatal(err)
	}
	if err := LoadTrainState(path, &TrainState{Opt: NewAdamW(), EMA: NewEMA(a, 0.999, true)}, a.NumParams()); err == nil || !strings.Contains(err.Error(), "EMA update count") {
		t.Fatalf("state without an EMA count: err = %v", err)
	}
}

// linearModel is a Weighted model for the SaveCheckpoint/LoadCheckpoint
// tests: one Linear layer of the configured size.
type linearModel struct {
	l *Linear
	a *Arena
}

func (m *linearModel) Weights() (*Arena, []*Buffer) { return m.a, nil }

type linearConfig struct{ In, Out int }

func newLinearModel(c linearConfig) (*linearModel, error) {
	if c.In < 1 || c.Out < 1 {
		return nil, errors.New("bad size")
	}
	l := NewLinear("lin", rand.New(rand.NewPCG(uint64(c.In), uint64(c.Out))), c.In, c.Out, true)
	return &linearModel{l: l, a: NewArena(l.Params())}, nil
}

func parseLinearConfig(b []byte, name string) (*linearConfig, error) {
	var c linearConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// TestSaveLoadCheckpoint: the weights come back bit for bit into a model
// built from the stored config; metadata maps apply in order after
// "format"; a checkpoint of another format and a config the builder
// refuses are errors naming the file.
func TestSaveLoadCheckpoint(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	c := linearConfig{In: 3, Out: 2}
	m, _ := newLinearModel(c)
	for i := range m.a.Data {
		m.a.Data[i] = float32(i) - 2.5
	}
	if err := SaveCheckpoint(path, "test-linear", m, c, map[string]string{"k": "model", "x": "1"}, map[string]string{"k": "extra"}); err != nil {
		t.Fatal(err)
	}
	got, meta, err := LoadCheckpoint(path, "test-linear", "a linear", parseLinearConfig, newLinearModel)
	if err != nil {
		t.Fatal(err)
	}
	if !sameBits(got.a.Data, m.a.Data) {
		t.Error("weights differ after the round trip")
	}
	if meta["format"] != "test-linear" || meta["k"] != "extra" || meta["x"] != "1" {
		t.Errorf("metadata %v", meta)
	}
	if _, _, err := LoadCheckpoint(path, "other", "an other", parseLinearConfig, newLinearModel); err == nil ||
		!strings.Contains(err.Error(), "not an other checkpoint") || !strings.Contains(err.Error(), path) {
		t.Errorf("wrong format: %v", err)
	}
	refuse := func(linearConfig) (*linearModel, error) { return nil, errors.New("refused") }
	if _, _, err := LoadCheckpoint(path, "test-linear", "a linear", parseLinearConfig, refuse); err == nil ||
		!strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), path) {
		t.Errorf("refused config: %v", err)
	}
}
