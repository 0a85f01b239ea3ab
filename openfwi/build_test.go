package openfwi

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"genfwi/internal/filebuild"
)

// fakeSim is a cheap deterministic stand-in for the wave engine: every value
// depends on the map and its position, so any mix-up of samples shows.
func fakeSim(_ context.Context, vel, dst []float32) error {
	for k := range dst {
		dst[k] = vel[k%ModelLen]/1000*float32(math.Sin(float64(k))) + float32(k%7)
	}
	return nil
}

func genConfig(t *testing.T, out string, files, perFile int) BuildConfig {
	t.Helper()
	d, _ := Lookup("curvevel-a")
	src, err := NewGenSource(d, files, perFile)
	if err != nil {
		t.Fatal(err)
	}
	return BuildConfig{Out: out, Dataset: d, Source: src, Simulate: fakeSim, SimulatorName: "fake", Workers: 2, Version: "test"}
}

func hashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{}
	for _, e := range m.Files {
		h[e.Model], h[e.Data] = e.ModelSHA256, e.DataSHA256
	}
	return h
}

func mustVerify(t *testing.T, dir string) *VerifyReport {
	t.Helper()
	r, err := Verify(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("verify %s: %v", dir, r.Problems)
	}
	return r
}

func TestBuildVerifyAndShards(t *testing.T) {
	base := t.TempDir()
	one := filepath.Join(base, "one")
	res, err := Build(context.Background(), genConfig(t, one, 3, 4))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || len(res.Built) != 3 || res.Samples != 12 {
		t.Fatalf("result %+v", res)
	}
	r := mustVerify(t, one)
	if r.Files != 3 || r.Samples != 12 {
		t.Errorf("verified %d files, %d samples", r.Files, r.Samples)
	}
	// The files are readable in the OpenFWI layout.
	d, _ := Lookup("curvevel-a")
	c, err := OpenCollection(one, d, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Train()) != 3 || !c.Train()[0].HasData {
		t.Fatalf("built collection %+v", c.Files)
	}
	// Two shards into one directory, in any order, give the same dataset.
	two := filepath.Join(base, "two")
	for _, s := range []int{1, 0} {
		cfg := genConfig(t, two, 3, 4)
		cfg.Shard, cfg.Shards = s, 2
		res, err := Build(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[int]int{0: 2, 1: 1}[s]; len(res.Built) != want {
			t.Errorf("shard %d/2 built %v", s, res.Built)
		}
		if res.Complete != (s == 0) {
			t.Errorf("shard %d/2: complete = %v", s, res.Complete)
		}
	}
	mustVerify(t, two)
	h1, h2 := hashes(t, one), hashes(t, two)
	if len(h1) != 6 {
		t.Fatalf("%d hashes", len(h1))
	}
	for k, v := range h1 {
		if h2[k] != v {
			t.Errorf("%s differs between the single and the sharded build", k)
		}
	}
	// A rerun does nothing.
	res, err = Build(context.Background(), genConfig(t, one, 3, 4))
	if err != nil || len(res.Built) != 0 || len(res.Skipped) != 3 {
		t.Errorf("rerun: %+v, %v", res, err)
	}
	// Another configuration into the same directory is refused.
	if _, err := Build(context.Background(), genConfig(t, one, 3, 5)); err == nil || !strings.Contains(err.Error(), "different configuration") {
		t.Errorf("build with other settings into the same directory: %v", err)
	}
}

func TestBuildResumeAfterCancel(t *testing.T) {
	base := t.TempDir()
	ref := filepath.Join(base, "ref")
	if _, err := Build(context.Background(), genConfig(t, ref, 3, 4)); err != nil {
		t.Fatal(err)
	}
	for _, stopAfter := range []int64{1, 4, 6, 9} {
		dir := filepath.Join(base, "cut", string(rune('a'+stopAfter)))
		ctx, cancel := context.WithCancel(context.Background())
		var calls atomic.Int64
		cfg := genConfig(t, dir, 3, 4)
		cfg.Simulate = func(ctx context.Context, vel, dst []float32) error {
			if calls.Add(1) > stopAfter {
				cancel()
				return ctx.Err()
			}
			return fakeSim(ctx, vel, dst)
		}
		_, err := Build(ctx, cfg)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled build: err = %v", err)
		}
		// Only complete files under final names, no temporaries.
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if strings.Contains(p, ".partial-") {
				t.Errorf("temporary %s left after cancel", p)
			}
			return nil
		})
		res, err := Build(context.Background(), genConfig(t, dir, 3, 4))
		if err != nil || !res.Complete {
			t.Fatalf("resumed build: %+v, %v", res, err)
		}
		if done := int(stopAfter) / 4; len(res.Skipped) != done {
			t.Errorf("stop after %d samples: resumed build skipped %v, want %d files", stopAfter, res.Skipped, done)
		}
		mustVerify(t, dir)
		href, h := hashes(t, ref), hashes(t, dir)
		for k, v := range href {
			if h[k] != v {
				t.Errorf("stop after %d: %s differs from the uninterrupted build", stopAfter, k)
			}
		}
	}
}

func TestBuildRecoversFromKill(t *testing.T) {
	// A killed process leaves temporaries and possibly a renamed data
	// file without its entry; the rerun must clean up and redo that file.
	dir := t.TempDir()
	if _, err := Build(context.Background(), genConfig(t, dir, 2, 3)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filebuild.EntryPath(dir, 1))
	junk := filepath.Join(dir, "data", ".data2.npy.partial-123")
	os.WriteFile(junk, []byte("half a file"), 0o644)
	os.WriteFile(filepath.Join(dir, "data", "data2.npy"), []byte("garbage"), 0o644)
	if r, _ := Verify(dir, nil); r.OK() {
		t.Fatal("verify accepted a dataset with a missing entry and a partial file")
	}
	res, err := Build(context.Background(), genConfig(t, dir, 2, 3))
	if err != nil || len(res.Built) != 1 || res.Built[0] != 1 {
		t.Fatalf("rerun %+v, %v", res, err)
	}
	if _, err := os.Stat(junk); err == nil {
		t.Error("stale temporary not removed")
	}
	mustVerify(t, dir)
}

func TestVerifyDetectsCorruption(t *testing.T) {
	dir := t.TempDir()
	if _, err := Build(context.Background(), genConfig(t, dir, 1, 2)); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data", "data1.npy")
	orig, _ := os.ReadFile(data)
	for _, tc := range []struct {
		name string
		mod  func([]byte) []byte
		want string
	}{
		{"flip", func(b []byte) []byte { b[len(b)/2] ^= 1; return b }, "SHA-256"},
		{"nan", func(b []byte) []byte { copy(b[128:], []byte{0, 0, 0xc0, 0x7f}); return b }, "NaN"},
		{"truncate", func(b []byte) []byte { return b[:len(b)-10] }, "truncated"},
	} {
		b := tc.mod(append([]byte(nil), orig...))
		os.WriteFile(data, b, 0o644)
		r, err := Verify(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.OK() || !strings.Contains(strings.Join(r.Problems, "\n"), tc.want) {
			t.Errorf("%s: problems %v, want one mentioning %q", tc.name, r.Problems, tc.want)
		}
	}
}

func TestRealSourceSplits(t *testing.T) {
	dir, c := realCollection(t, "FlatVel_A", "flatvel-a")
	src, err := NewRealSource(c, Train, 500, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	info := src.Info()
	if info.Samples != 5000 || len(info.Inputs) != 10 || len(src.Files()) != 10 {
		t.Fatalf("train source: %d samples, %d inputs, %d files", info.Samples, len(info.Inputs), len(src.Files()))
	}
	for _, in := range info.Inputs {
		if in.Path == "model/model11.npy" || in.Path == "model/model12.npy" {
			t.Fatalf("training source reads test file %s", in.Path)
		}
	}
	if f := src.Files()[9]; f.Model != "model/model10.npy" || f.Split != Train {
		t.Errorf("last train output %+v", f)
	}
	// Rechunked: 5000 maps at 300 per file, names renumbered, maps in order.
	rc, err := NewRealSource(c, Train, 300, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	fs := rc.Files()
	if len(fs) != 17 || fs[16].Samples != 200 {
		t.Fatalf("rechunked files: %d, last %+v", len(fs), fs[len(fs)-1])
	}
	got := make([]float32, 300*ModelLen)
	if err := rc.Models(fs[1], got); err != nil {
		t.Fatal(err)
	}
	all, _, err := ReadModels(filepath.Join(dir, "model", "model1.npy"))
	if err != nil {
		t.Fatal(err)
	}
	more, _, _ := ReadModels(filepath.Join(dir, "model", "model2.npy"))
	all = append(all, more...)
	for i := range got {
		if got[i] != all[300*ModelLen+i] {
			t.Fatalf("rechunked file 2 map value %d differs from the input", i)
		}
	}
	// A test set keeps its test names; rechunking it is refused.
	ts, err := NewRealSource(c, Test, 500, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if f := ts.Files(); len(f) != 2 || f[0].Model != "model/model11.npy" || f[0].Split != Test {
		t.Errorf("test source files %+v", f)
	}
	if _, err := NewRealSource(c, Test, 100, 0, 0); err == nil {
		t.Error("rechunked test set accepted")
	}
	if _, err := NewRealSource(c, Test, 500, 10, 0); err == nil {
		t.Error("test set not starting at map 0 accepted")
	}
	// A range: maps 700..999 of the training split, 150 per file.
	sub, err := NewRealSource(c, Train, 150, 700, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if f := sub.Files(); len(f) != 2 || f[0].Model != "model/model1.npy" {
		t.Fatalf("range source files %+v", f)
	}
	part := make([]float32, 150*ModelLen)
	if err := sub.Models(sub.Files()[1], part); err != nil {
		t.Fatal(err)
	}
	for i := range part {
		if part[i] != all[850*ModelLen+i] {
			t.Fatalf("range source map value %d differs from the input", i)
		}
	}
}

// TestShardsFinishingTogetherKeepTheManifestComplete runs every shard of a
// build at once in its own goroutine; a barrier in the simulator releases
// them together, so all shards write their last entry and merge the
// manifest at the same moment. Every round must end with a complete
// manifest.json: the merge is serialised by a lock, and the last shard to
// take it sees every entry. (Without the lock, a shard that read the entries
// before another's last entry was written could rename its stale manifest
// over the complete one.)
func TestShardsFinishingTogetherKeepTheManifestComplete(t *testing.T) {
	const shards = 6
	rounds := 40
	if testing.Short() {
		rounds = 10
	}
	for round := range rounds {
		out := filepath.Join(t.TempDir(), "CurveVel_A")
		var arrived sync.WaitGroup
		arrived.Add(shards)
		barrier := make(chan struct{})
		go func() { arrived.Wait(); close(barrier) }()
		errs := make([]error, shards)
		var wg sync.WaitGroup
		for s := range shards {
			cfg := genConfig(t, out, shards, 1)
			cfg.Shard, cfg.Shards, cfg.Workers = s, shards, 1
			cfg.Simulate = func(ctx context.Context, vel, dst []float32) error {
				arrived.Done()
				<-barrier
				return fakeSim(ctx, vel, dst)
			}
			wg.Go(func() { _, errs[s] = Build(context.Background(), cfg) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		m, err := ReadManifest(out)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Complete || len(m.Files) != shards {
			t.Fatalf("round %d: manifest.json lists %d of %d files after all shards finished (complete %v)", round, len(m.Files), shards, m.Complete)
		}
		if left, _ := filepath.Glob(filepath.Join(out, ".manifest*partial*")); len(left) > 0 {
			t.Fatalf("round %d: temporaries left: %v", round, left)
		}
	}
}
