package cig

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"genfwi/npy"
	"genfwi/openfwi"
)

// fakeMaps writes CurveVel_A/model/model{N}.npy files of n smooth 70×70 maps
// each under a temporary root and returns the dataset directory.
func fakeMaps(t *testing.T, n int, numbers ...int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "CurveVel_A")
	if err := os.MkdirAll(filepath.Join(dir, "model"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, num := range numbers {
		v := make([]float32, n*openfwi.ModelLen)
		for i := range n {
			for z := range openfwi.NZ {
				for x := range openfwi.NX {
					s := 1600 + 30*float64(z) + 80*math.Sin(float64(x+7*i+num)/9)
					if float64(z) > 35+5*math.Sin(float64(x)/10+float64(i)) {
						s += 600
					}
					v[i*openfwi.ModelLen+z*openfwi.NX+x] = float32(s)
				}
			}
		}
		p := filepath.Join(dir, "model", "model"+strconv.Itoa(num)+".npy")
		if err := npy.WriteFileFloat32(p, npy.Float32, []int{n, 1, openfwi.NZ, openfwi.NX}, v); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func buildCfg(t *testing.T, maps, out string, files ...int) BuildConfig {
	c := smallSurvey(t)
	return BuildConfig{Out: out, Maps: maps, Files: files, Survey: c, Seed: 7, Workers: 2, Version: "test"}
}

func fileSums(t *testing.T, dir string, names ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range names {
		s, err := openfwi.FileSHA256(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		out[n] = s
	}
	return out
}

// TestBuildRoundTripAndResume builds two input files uninterrupted, then
// again with the context cancelled inside the second file and a rerun: the
// killed build leaves only complete files, the rerun skips the finished one,
// and every output file is byte-identical to the uninterrupted build. Open and
// Read return the stored pairs divided by MaxY, which is the 0.9999 quantile
// of the first min(300, N) raw gathers.
func TestBuildRoundTripAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two small data sets")
	}
	ctx := context.Background()
	maps := fakeMaps(t, 3, 1, 2, 11)
	ref := filepath.Join(t.TempDir(), "ref")
	res, err := Build(ctx, buildCfg(t, maps, ref, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Manifest.Complete || res.Manifest.Count != 6 || res.Pairs != 6 {
		t.Fatalf("uninterrupted build: complete %v, %d pairs, %d simulated", res.Manifest.Complete, res.Manifest.Count, res.Pairs)
	}
	names := []string{"vel1.npy", "cig1.npy", "vel2.npy", "cig2.npy"}
	want := fileSums(t, ref, names...)

	// killed build: cancel after the 4th pair (inside the second file)
	out := filepath.Join(t.TempDir(), "killed")
	kctx, cancel := context.WithCancel(ctx)
	var done atomic.Int32
	cfg := buildCfg(t, maps, out, 1, 2)
	cfg.Workers = 1
	cfg.OnSample = func() {
		if done.Add(1) == 4 {
			cancel()
		}
	}
	if _, err := Build(kctx, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled build returned %v, want context.Canceled", err)
	}
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".partial-") || e.Name() == "vel2.npy" || e.Name() == "cig2.npy" {
			t.Errorf("killed build left %s", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(out, "cig1.npy")); err != nil {
		t.Fatalf("killed build lost its complete first file: %v", err)
	}
	cfg = buildCfg(t, maps, out, 1, 2)
	res, err = Build(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 1 || len(res.Built) != 1 || res.Pairs != 3 {
		t.Fatalf("rerun: skipped %v, built %v, %d pairs", res.Skipped, res.Built, res.Pairs)
	}
	got := fileSums(t, out, names...)
	for _, n := range names {
		if got[n] != want[n] {
			t.Errorf("%s: SHA-256 after kill and resume %s, uninterrupted %s", n, got[n], want[n])
		}
	}
	// shards build the same files
	sh := filepath.Join(t.TempDir(), "sharded")
	for i := range 2 {
		c := buildCfg(t, maps, sh, 1, 2)
		c.Shard, c.Shards = i, 2
		if _, err := Build(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	got = fileSums(t, sh, names...)
	for _, n := range names {
		if got[n] != want[n] {
			t.Errorf("%s: sharded build differs", n)
		}
	}

	// Open / Read / MaxY
	d, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	m := d.Meta()
	if d.Len() != 6 || !m.Complete || m.Split != "train" || m.Nz != 20 || m.Nx != 24 || len(m.Offsets) != 5 || m.Shots != 4 {
		t.Fatalf("meta %+v, len %d", m, d.Len())
	}
	raw, shape, err := npy.ReadFileFloat32(filepath.Join(out, "cig1.npy"))
	if err != nil {
		t.Fatal(err)
	}
	raw2, _, _ := npy.ReadFileFloat32(filepath.Join(out, "cig2.npy"))
	all := append(append([]float32(nil), raw...), raw2...)
	for i := range all {
		all[i] = float32(math.Abs(float64(all[i])))
	}
	if q := Quantile(all, MaxYQuantile); q != m.MaxY || !(q > 0) {
		t.Fatalf("MaxY %g, quantile of the 6 raw gathers %g", m.MaxY, q)
	}
	per := shape[1] * shape[2] * shape[3]
	vel := make([]float32, m.Nz*m.Nx)
	g := make([]float32, per)
	if err := d.Read(1, vel, g); err != nil {
		t.Fatal(err)
	}
	for i := range g {
		if g[i] != raw[per+i]/m.MaxY {
			t.Fatalf("Read gather value %d = %g, want stored %g / MaxY %g", i, g[i], raw[per+i], m.MaxY)
		}
	}
	// the stored velocity is the bilinear resize of the input map, and the
	// stored gather is what Survey makes of it with the pair's seed
	in, _, _ := openfwi.ReadModels(filepath.Join(maps, "model", "model2.npy"))
	wantV := make([]float32, m.Nz*m.Nx)
	openfwi.ResizeBilinear(wantV, m.Nz, m.Nx, in[2*openfwi.ModelLen:3*openfwi.ModelLen], openfwi.NZ, openfwi.NX)
	if err := d.Read(5, vel, g); err != nil {
		t.Fatal(err)
	}
	for i := range vel {
		if vel[i] != wantV[i] {
			t.Fatalf("pair 5 velocity %d = %g, want %g", i, vel[i], wantV[i])
		}
	}
	s, _ := NewSurvey(m.Survey)
	o, err := s.Observe(ctx, vel, PairSeed(m.Dataset, 2, 2, m.Seed))
	if err != nil {
		t.Fatal(err)
	}
	g2 := make([]float32, per)
	if err := s.Gather(ctx, o, nil, m.MaxY, g2); err != nil {
		t.Fatal(err)
	}
	for i := range g2 {
		if math.Abs(float64(g2[i]-g[i])) > 1e-6*math.Abs(float64(g[i]))+1e-12 {
			t.Fatalf("pair 5 gather %d: stored %g, recomputed %g", i, g[i], g2[i])
		}
	}
	if r, err := Verify(out); err != nil || len(r.Problems) != 0 || r.Pairs != 6 {
		t.Fatalf("verify: %v %+v", err, r)
	}

	// test files: refused without --maxy-from, normalised by the training MaxY with it
	test := filepath.Join(t.TempDir(), "test")
	if _, err := Build(ctx, buildCfg(t, maps, test, 11)); err == nil || !strings.Contains(err.Error(), "--maxy-from") {
		t.Fatalf("test build without --maxy-from: %v", err)
	}
	if _, err := Build(ctx, buildCfg(t, maps, test, 2, 11)); err == nil || !strings.Contains(err.Error(), "mix training and test") {
		t.Fatalf("mixed build: %v", err)
	}
	tc := buildCfg(t, maps, test, 11)
	tc.MaxYFrom, tc.Limit = out, 2
	res, err = Build(ctx, tc)
	if err != nil {
		t.Fatal(err)
	}
	if tm := res.Manifest; tm.MaxY != m.MaxY || tm.Split != "test" || tm.Count != 2 || !strings.Contains(tm.MaxYFrom, "training set") {
		t.Fatalf("test set: max_y %g (train %g), split %s, %d pairs, from %q", tm.MaxY, m.MaxY, tm.Split, tm.Count, tm.MaxYFrom)
	}
	bad := buildCfg(t, maps, filepath.Join(t.TempDir(), "t2"), 11)
	bad.MaxYFrom = test
	if _, err := Build(ctx, bad); err == nil || !strings.Contains(err.Error(), "training set") {
		t.Fatalf("--maxy-from a test set: %v", err)
	}
	// a rerun with other settings into the same directory is refused
	other := buildCfg(t, maps, out, 1, 2)
	other.Seed = 8
	if _, err := Build(ctx, other); err == nil || !strings.Contains(err.Error(), "different configuration") {
		t.Fatalf("rerun with another seed: %v", err)
	}
}

// TestBuildBadInput: missing files, NaN maps and broken data sets give one
// clear error naming the file.
func TestBuildBadInput(t *testing.T) {
	ctx := context.Background()
	maps := fakeMaps(t, 2, 1)
	if _, err := Build(ctx, buildCfg(t, maps, filepath.Join(t.TempDir(), "o"), 3)); err == nil || !strings.Contains(err.Error(), "model3.npy") {
		t.Errorf("missing input file: %v", err)
	}
	if _, err := Build(ctx, buildCfg(t, filepath.Join(t.TempDir(), "Nope_X"), filepath.Join(t.TempDir(), "o"), 1)); err == nil {
		t.Error("unknown dataset directory: no error")
	}
	// a NaN in a map
	p := filepath.Join(maps, "model", "model1.npy")
	v, shape, _ := npy.ReadFileFloat32(p)
	v[openfwi.ModelLen+3*openfwi.NX+5] = float32(math.NaN())
	if err := npy.WriteFileFloat32(p, npy.Float32, shape, v); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "nan")
	_, err := Build(ctx, buildCfg(t, maps, out, 1))
	if err == nil || !strings.Contains(err.Error(), "model/model1.npy: map 1") || !strings.Contains(err.Error(), "(z 3, x 5)") {
		t.Errorf("NaN map: %v", err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 1 { // only .manifest.d
		t.Errorf("failed build left %d entries in %s", len(ents), out)
	}
	// Open: no manifest, missing file, truncated file
	if _, err := Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), "manifest.json is missing") {
		t.Errorf("Open without manifest: %v", err)
	}
}

// TestOpenBroken: Open names a missing or truncated file of a built set.
func TestOpenBroken(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a small data set")
	}
	ctx := context.Background()
	maps := fakeMaps(t, 2, 1)
	out := filepath.Join(t.TempDir(), "set")
	if _, err := Build(ctx, buildCfg(t, maps, out, 1)); err != nil {
		t.Fatal(err)
	}
	d, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Read(2, nil, nil); err == nil {
		t.Error("Read past the end: no error")
	}
	if err := d.Read(0, make([]float32, 3), nil); err == nil || !strings.Contains(err.Error(), "velocity buffer") {
		t.Errorf("short velocity buffer: %v", err)
	}
	d.Close()
	p := filepath.Join(out, "cig1.npy")
	b, _ := os.ReadFile(p)
	// The last value made NaN: same size, other hash, a non-finite value.
	nan := append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(nan[len(nan)-4:], 0x7fc00000)
	if err := os.WriteFile(p, nan, 0o644); err != nil {
		t.Fatal(err)
	}
	if r, err := Verify(out); err != nil || !strings.Contains(strings.Join(r.Problems, "\n"), "SHA-256") || !strings.Contains(strings.Join(r.Problems, "\n"), "1 NaN or Inf") {
		t.Errorf("verify of a gather with a NaN: %v %+v", err, r)
	}
	if err := os.WriteFile(p, b[:len(b)-8], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(out); err == nil || !strings.Contains(err.Error(), "cig1.npy") {
		t.Errorf("truncated gather file: %v", err)
	}
	if r, err := Verify(out); err != nil || len(r.Problems) == 0 {
		t.Errorf("verify of a truncated file: %v %+v", err, r)
	}
	os.Remove(p)
	if _, err := Open(out); err == nil || !strings.Contains(err.Error(), "cig1.npy") {
		t.Errorf("missing gather file: %v", err)
	}
}
