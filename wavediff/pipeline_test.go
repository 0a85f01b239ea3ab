package wavediff

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"genfwi/models/diffusion"
	"genfwi/models/vqae"
	"genfwi/openfwi"
)

// openfwiRoot is the real-map directory of the checkout (../shared/data/openfwi).
func openfwiRoot(t *testing.T) string {
	t.Helper()
	for _, c := range []string{os.Getenv("GENFWI_OPENFWI"), "../../shared/data/openfwi", "../../../shared/data/openfwi"} {
		if c == "" {
			continue
		}
		if st, err := os.Stat(filepath.Join(c, "CurveVel_A", "model", "model1.npy")); err == nil && !st.IsDir() {
			return c
		}
	}
	t.Skip("real OpenFWI maps not found (set GENFWI_OPENFWI)")
	return ""
}

func TestHalfRoundTrip(t *testing.T) {
	cases := []float32{0, 1, -1, 0.5, -0.09375, 65504, 1e-7, 6.1035156e-05, 3.14159}
	for _, v := range cases {
		got := fromHalf(toHalf(v))
		if d := math.Abs(float64(got - v)); d > math.Abs(float64(v))*1.0/1024+6e-8 {
			t.Errorf("half(%g) = %g", v, got)
		}
	}
	if !math.IsInf(float64(fromHalf(toHalf(1e6))), 1) {
		t.Errorf("1e6 did not overflow to +Inf")
	}
	// Every half value survives float32 → half exactly.
	for h := 0; h < 1<<16; h++ {
		f := fromHalf(uint16(h))
		if math.IsNaN(float64(f)) {
			continue
		}
		if back := toHalf(f); back != uint16(h) && !(f == 0 && back&0x7fff == 0) {
			t.Fatalf("half %#04x → %g → %#04x", h, f, back)
		}
	}
}

func TestCodecForWidest(t *testing.T) {
	c, err := CodecFor("flatvel-a", "curvevel-a")
	if err != nil {
		t.Fatal(err)
	}
	if c.Norm.DataMin != -27.11 || c.Norm.DataMax != 55.10 || c.Norm.LabelMin != 1500 || c.Norm.LabelMax != 4500 {
		t.Fatalf("codec norm %+v", c.Norm)
	}
	if _, err := CodecFor("nope"); err == nil {
		t.Fatal("unknown dataset accepted")
	}
}

// TestCodecRoundTripModelResolution: model resolution → OpenFWI layout →
// model resolution is the identity up to the resize pair and float error
// (a 64→70→64 bilinear round trip of a smooth field is close to exact).
func TestCodecRoundTripModelResolution(t *testing.T) {
	c, _ := CodecFor("curvevel-a")
	v := make([]float32, VelLen)
	s := make([]float32, SeisLen)
	for i := range v {
		z, x := float64(i/VelW), float64(i%VelW)
		v[i] = float32(0.8 * math.Sin(z/9) * math.Cos(x/13))
	}
	for i := range s {
		r := i % (SeisT * SeisR)
		tt, x := float64(r/SeisR), float64(r%SeisR)
		s[i] = float32(-0.1 + 0.5*math.Sin(tt/17)*math.Cos(x/11))
	}
	fv, fs := make([]float32, FullVel), make([]float32, FullSeis)
	ToOpenFWI(c, v, s, fv, fs)
	for _, x := range fv {
		if x < 1500-0.8*1500-1 || x > 4500 {
			t.Fatalf("velocity %g m/s out of range", x)
		}
	}
	v2, s2 := make([]float32, VelLen), make([]float32, SeisLen)
	c.VelocityToModel(v2, fv)
	c.SeismicToModel(s2, fs)
	if e := maxAbs(v, v2); e > 0.01 {
		t.Errorf("velocity round trip error %g", e)
	}
	if e := maxAbs(s, s2); e > 0.01 {
		t.Errorf("seismic round trip error %g", e)
	}
	// Exactness of the normalisation itself: constant fields survive exactly.
	for i := range v {
		v[i] = 0.25
	}
	c.VelocityFromModel(fv, v)
	if math.Abs(float64(fv[0])-3375) > 1e-3 {
		t.Errorf("0.25 normalised → %g m/s, want 3375", fv[0])
	}
}

func maxAbs(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}

func TestBatcherDeterministicAndResumable(t *testing.T) {
	a := NewBatcher(37, 8, 5)
	var full [][]int
	for s := 0; s < 20; s++ {
		full = append(full, slices.Clone(a.Indices(s, nil)))
	}
	// A fresh batcher started at step 11 (a resumed run) draws the same.
	b := NewBatcher(37, 8, 5)
	for s := 11; s < 20; s++ {
		if got := b.Indices(s, nil); !slices.Equal(got, full[s]) {
			t.Fatalf("step %d: resumed %v, uninterrupted %v", s, got, full[s])
		}
	}
	// Each epoch visits every item exactly once.
	seen := make([]int, 37)
	for k := 0; k < 37; k++ {
		seen[full[k/8][k%8]]++
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("item %d drawn %d times in epoch 0", i, n)
		}
	}
	// Another seed gives another order.
	c := NewBatcher(37, 8, 6)
	if slices.Equal(c.Indices(0, nil), full[0]) {
		t.Fatal("seed does not change the batches")
	}
}

// TestPDEDeviationRealPairIsZero: a real pair (seismic simulated from its map
// by the same OpenFWI-exact model) taken through normalise/de-normalise only
// has a deviation at rounding level, while a pair with the wrong velocity does
// not.
func TestPDEDeviationRealPairIsZero(t *testing.T) {
	root := openfwiRoot(t)
	maps, n, err := openfwi.ReadModels(filepath.Join(root, "CurveVel_A", "model", "model1.npy"))
	if err != nil || n < 2 {
		t.Fatal(err)
	}
	c, _ := CodecFor("curvevel-a")
	ctx := context.Background()
	v0, v1 := maps[:FullVel], maps[FullVel:2*FullVel]
	s0 := make([]float32, FullSeis)
	if err := defaultSimulate(ctx, v0, s0); err != nil {
		t.Fatal(err)
	}
	// normalise, de-normalise (what a stored pair goes through).
	sn := make([]float32, FullSeis)
	c.Norm.Data(sn, s0)
	c.Norm.DataInverse(sn, sn)
	d, err := PDEDeviation(ctx, c, v0, sn, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.MSENorm > 1e-10 || d.RelL2 > 1e-5 || d.Clipped != 0 {
		t.Fatalf("real pair deviation %+v, want ≈ 0", d)
	}
	wrong, err := PDEDeviation(ctx, c, v1, sn, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if wrong.MSENorm < 1e-4 || wrong.RelL2 < 0.05 {
		t.Fatalf("mismatched pair deviation %+v is too small", wrong)
	}
	ds, err := PDEDeviations(ctx, c, slices.Concat(v0, v1), slices.Concat(sn, sn), nil, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ds[0] != d || ds[1] != wrong {
		t.Fatalf("parallel deviations %+v differ from serial %+v %+v", ds, d, wrong)
	}
	if _, err := PDEDeviation(ctx, c, v0[:10], sn, nil, nil); err == nil {
		t.Fatal("short map accepted")
	}
}

func TestPairsTrainOnlyAndCache(t *testing.T) {
	root := openfwiRoot(t)
	cfg := TrainConfig{Root: root, Datasets: []string{"flatvel-a", "curvevel-a"}, PerDataset: 3}
	maps, origins, err := SelectTrainMaps(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(origins) != 6 || len(maps) != 6*FullVel {
		t.Fatalf("%d origins, %d values", len(origins), len(maps))
	}
	for _, o := range origins {
		if o.File == "model/model11.npy" || o.File == "model/model12.npy" {
			t.Fatalf("training selection reached test file %+v", o)
		}
	}
	// Spread over the split: the third map of each dataset comes from a later file.
	if origins[2].File == origins[0].File {
		t.Errorf("selection not spread over files: %+v", origins[:3])
	}
	// A cheap stand-in simulator keeps this test fast; the cache logic is
	// what is under test.
	sim := func(_ context.Context, v, dst []float32) error {
		for i := range dst {
			dst[i] = v[i%FullVel] / 200
		}
		return nil
	}
	c, _ := CodecFor(cfg.Datasets...)
	p, err := PairsFromMaps(context.Background(), c, maps, sim, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Origin, p.Key = origins, PairsKey(c, "test", maps)
	// writeRead writes pairs to a new file and reads them back.
	writeRead := func(p *Pairs) (*Pairs, string) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "pairs.bin")
		if err := WritePairs(path, p); err != nil {
			t.Fatal(err)
		}
		q, err := ReadPairs(path)
		if err != nil {
			t.Fatal(err)
		}
		return q, path
	}
	q, path := writeRead(p)
	if q.N != p.N || q.Key != p.Key || !slices.Equal(q.Vel, p.Vel) || !slices.Equal(q.Seis, p.Seis) || q.Origin[5] != p.Origin[5] || q.Codec != p.Codec {
		t.Fatal("pair file round trip differs")
	}
	// The float16 velocity of pair 0 matches the codec applied directly.
	want := make([]float32, VelLen)
	c.VelocityToModel(want, maps[:FullVel])
	got := make([]float32, VelLen)
	q.Velocity(got, 0)
	if e := maxAbs(want, got); e > 1e-3 {
		t.Fatalf("stored velocity differs by %g", e)
	}
	// Corruption is detected.
	b, _ := os.ReadFile(path)
	b[len(b)-3] ^= 0xff
	os.WriteFile(path, b, 0o644)
	if _, err := ReadPairs(path); err == nil {
		t.Fatal("corrupt pair file accepted")
	}
	// Keys depend on the maps.
	if PairsKey(c, "test", maps[FullVel:]) == p.Key {
		t.Fatal("key ignores the maps")
	}
	// The native70 geometry: its own key, its shapes in the file, and a
	// header whose shapes contradict its geometry is refused.
	n70 := c
	n70.Geom = Native70()
	if PairsKey(n70, "test", maps) == p.Key {
		t.Fatal("key ignores the geometry")
	}
	p70, err := PairsFromMaps(context.Background(), n70, maps, sim, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p70.Vel) != 6*70*70 || len(p70.Seis) != 6*5*256*70 {
		t.Fatalf("native70 pairs hold %d velocity and %d seismic values", len(p70.Vel), len(p70.Seis))
	}
	q70, path70 := writeRead(p70)
	if q70.Codec != n70 || !slices.Equal(q70.Seis, p70.Seis) {
		t.Fatalf("native70 round trip: codec %+v, want %+v", q70.Codec.Geom, n70.Geom)
	}
	// Rename the geometry in the header (and fix the header length).
	b, _ = os.ReadFile(path70)
	m := len(pairsMagic)
	hl := binary.LittleEndian.Uint64(b[m:])
	hdr := bytes.Replace(b[m+8:m+8+int(hl)], []byte(`"geometry":"native70"`), []byte(`"geometry":"resized64"`), 1)
	bad := binary.LittleEndian.AppendUint64([]byte(pairsMagic), uint64(len(hdr)))
	os.WriteFile(path70, append(append(bad, hdr...), b[m+8+int(hl):]...), 0o644)
	if _, err := ReadPairs(path70); err == nil || !strings.Contains(err.Error(), "do not match geometry") {
		t.Fatalf("pairs with shapes of another geometry: err = %v", err)
	}
}

// TestNative70Codec: velocity maps pass through the native70 codec exactly
// (normalisation only), real gathers lose at most 0.3 % relative L2 in the
// time-resampling round trip (resized64: about 16 %), noisy normalised
// input maps like the raw data, and Regrid converts pairs between the
// geometries as the OpenFWI layout would.
func TestNative70Codec(t *testing.T) {
	root := openfwiRoot(t)
	maps, _, err := openfwi.ReadModels(filepath.Join(root, "CurveVel_A", "model", "model1.npy"))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := CodecFor("flatvel-a", "curvevel-a")
	n70 := c
	n70.Geom = Native70()
	v := maps[:2*FullVel]
	s := make([]float32, 2*FullSeis)
	for i := range 2 {
		if err := defaultSimulate(context.Background(), v[i*FullVel:(i+1)*FullVel], s[i*FullSeis:(i+1)*FullSeis]); err != nil {
			t.Fatal(err)
		}
	}
	pv, ps := PairsFromFull(n70, v, s).ModelArrays()
	fv, fs := make([]float32, len(v)), make([]float32, len(s))
	ToOpenFWI(n70, pv, ps, fv, fs)
	if e := maxAbs(v, fv); e > 2 { // float16 storage of the normalised map: ≤ 1.5 m/s
		t.Errorf("native70 velocity round trip error %g m/s", e)
	}
	rel := CompareSeismic(n70, s, fs).RelL2
	fs64 := make([]float32, len(s))
	pv64, ps64 := PairsFromFull(c, v, s).ModelArrays()
	ToOpenFWI(c, pv64, ps64, make([]float32, len(v)), fs64)
	rel64 := CompareSeismic(c, s, fs64).RelL2
	t.Logf("seismic round trip relative L2: native70 %.4f, resized64 %.4f", rel, rel64)
	if rel > 0.003 || rel64 < 0.1 {
		t.Errorf("seismic round trip relative L2: native70 %.4f (want ≤ 0.003), resized64 %.4f (want ≥ 0.1)", rel, rel64)
	}
	// SeismicNormToModel of normalised data equals SeismicToModel of the raw.
	norm := make([]float32, FullSeis)
	c.Norm.Data(norm, s[:FullSeis])
	a, b := make([]float32, n70.SeisLen()), make([]float32, n70.SeisLen())
	n70.SeismicToModel(a, s[:FullSeis])
	n70.SeismicNormToModel(b, norm)
	if e := maxAbs(a, b); e > 1e-5 {
		t.Errorf("SeismicNormToModel differs from SeismicToModel by %g", e)
	}
	// Regrid native70 → resized64 equals converting the OpenFWI layout.
	rv, rs := Regrid(n70, c, pv, ps)
	wv, ws := PairsFromFull(c, fv, fs).ModelArrays()
	if e := math.Max(maxAbs(rv, wv), maxAbs(rs, ws)); e > 2e-3 { // float16 storage of wv, ws
		t.Errorf("Regrid differs from the OpenFWI-layout conversion by %g", e)
	}
	if gv, gs := Regrid(c, c, pv64, ps64); &gv[0] != &pv64[0] || &gs[0] != &ps64[0] {
		t.Error("Regrid with equal geometries copies")
	}
}

// TestEpsErrorGaussianModel: a fresh eps_skip model predicts exactly the
// Gaussian-optimal √(1−ᾱ_t)·z_t, so EpsError must report Model = Gaussian
// at every timestep (up to float32 rounding), X0 = Model·√(1/ᾱ−1), and a
// fresh plain model (ε̂ = 0) must score E|ε| ≈ 0.8.
func TestEpsErrorGaussianModel(t *testing.T) {
	ctx := context.Background()
	pairs := synthPairs(6, 3, 0)
	cfg := tinyVQAE(vqae.Joint)
	ae, err := vqae.New(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	dc := tinyDiffusion()
	dc.EpsSkip = true
	dm, err := diffusion.New(*dc)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := EncodeLatents(ctx, ae, pairs)
	dm.ScaleFactor = diffusion.ScaleFactorFor(h)
	ts := EpsErrorTimesteps(dm.Sched.T, 4)
	if len(ts) != 4 || ts[0] != dm.Sched.T-1 || ts[3] != 0 {
		t.Fatalf("timesteps %v", ts)
	}
	ps, err := EpsError(ctx, dm, ae, pairs, ts, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if math.Abs(p.Model-p.Gaussian) > 1e-5*p.Gaussian+1e-7 {
			t.Errorf("t=%d: fresh eps_skip model %.7f, Gaussian %.7f", p.T, p.Model, p.Gaussian)
		}
		a, b := dm.Sched.SqrtAlphasCumprod[p.T], dm.Sched.SqrtOneMinusAlphasCumprod[p.T]
		if math.Abs(p.X0-p.Model*b/a) > 1e-12 {
			t.Errorf("t=%d: X0 %g, want %g", p.T, p.X0, p.Model*b/a)
		}
	}
	dc.EpsSkip = false
	plain, _ := diffusion.New(*dc)
	plain.ScaleFactor = dm.ScaleFactor
	ps, err = EpsError(ctx, plain, ae, pairs, ts[:1], 1)
	if err != nil {
		t.Fatal(err)
	}
	if m := ps[0].Model; m < 0.7 || m > 0.9 {
		t.Errorf("fresh plain model: ε error %.3f, want E|ε| ≈ 0.8", m)
	}
	if _, err := EpsError(ctx, dm, ae, pairs, []int{dm.Sched.T}, 1); err == nil {
		t.Error("a timestep ≥ T was accepted")
	}
}

// TestTrainMapsFromGeneratedFallback follows the demo's data path on a
// machine without the real maps: openfwi.ChooseMaps falls back to the
// generators, and the training-map selection of "train pairs" reads 40
// maps of each dataset from the generated TRAINING files only (model1–10,
// never the test files 11–12), all within [1500, 4500] m/s.
func TestTrainMapsFromGeneratedFallback(t *testing.T) {
	dir := t.TempDir()
	var ds []openfwi.Dataset
	for _, n := range []string{"flatvel-a", "curvevel-a"} {
		d, err := openfwi.Lookup(n)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	c, err := openfwi.ChooseMaps(filepath.Join(dir, "no-such-openfwi"), filepath.Join(dir, "openfwi-gen"), ds, 12, 25)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Generated {
		t.Fatalf("choice %+v: want the generated maps", c)
	}
	maps, origins, err := SelectTrainMaps(TrainConfig{Root: c.Root, Datasets: []string{"flatvel-a", "curvevel-a"}, PerDataset: 40})
	if err != nil {
		t.Fatal(err)
	}
	if len(maps) != 80*FullVel || len(origins) != 80 {
		t.Fatalf("selected %d values and %d origins, want 80 maps", len(maps), len(origins))
	}
	files := map[string]bool{}
	for _, o := range origins {
		files[o.File] = true
		if o.File == "model/model11.npy" || o.File == "model/model12.npy" {
			t.Fatalf("training selection used a test file: %+v", o)
		}
	}
	if len(files) != 10 {
		t.Errorf("selection spread over %d files, want the 10 training files", len(files))
	}
	for i, v := range maps {
		if v < openfwi.VelocityLo || v > openfwi.VelocityHi {
			t.Fatalf("map %d: velocity %g m/s outside [1500, 4500]", i/FullVel, v)
		}
	}
}
