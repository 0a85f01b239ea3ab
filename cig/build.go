package cig

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"genfwi/internal/atomicfile"
	"genfwi/internal/filebuild"
	"genfwi/internal/flock"
	"genfwi/npy"
	"genfwi/openfwi"
)

// MaxYSamples is the number of training gathers (from the start of a training
// set) whose 0.9999 quantile of |value| normalises the gathers, as WISE's
// train_openfwi.jl does with its first 300.
const MaxYSamples = 300

// MaxYQuantile is the quantile of |gather| used for MaxY.
const MaxYQuantile = 0.9999

// ResizeRule describes how the 70×70 OpenFWI maps become 64×64 maps.
const ResizeRule = "bilinear 70×70 → 64×64, PyTorch F.interpolate(align_corners=False) semantics (openfwi.ResizeBilinear): convex weights keep every value inside the map's range, no ringing at layer boundaries"

// SeedRule describes the per-pair seed of a build.
const SeedRule = "pair i of input file N: first 8 bytes (little-endian uint64) of SHA-256(\"genfwi/cig/v1\\x00\" + dataset + \"\\x00\" + N + \"\\x00\" + i + \"\\x00\" + seed); sources from PCG(seed', jitter stream), noise from PCG(seed', noise stream)"

// DefaultSeed is the base seed of a build when none is given (WISE.jl seeds
// its scripts with 2023).
const DefaultSeed = 2023

// BuildConfig configures Build.
type BuildConfig struct {
	// Out is the data set directory to write.
	Out string
	// Maps is the OpenFWI dataset directory holding model/model{N}.npy
	// (e.g. ROOT/CurveVel_A); its base name names the dataset.
	Maps string
	// Files are the input file numbers N, in build order. They must all be
	// training files or all test files of the dataset's split.
	Files []int
	// Limit, if positive, caps the number of maps (taken in file order).
	Limit int
	// Survey is the acquisition (Workers is ignored: see Workers).
	Survey SurveyConfig
	// Seed is the base seed of the per-pair seeds (SeedRule).
	Seed uint64
	// MaxYFrom is a built training set whose MaxY this set uses; required
	// for test files (the normalisation must come from training data).
	MaxYFrom string
	// Shard and Shards select the output files with ID mod Shards = Shard
	// (Shards 0 means 1).
	Shard, Shards int
	// Workers is the number of pairs simulated at once (0 means 1); each
	// gets GOMAXPROCS/Workers simulator threads. Results do not depend on
	// it.
	Workers int
	// Version is the genfwi version recorded in the entries.
	Version string
	// Recheck re-hashes the files of earlier runs before skipping them.
	Recheck bool
	// OnStart, if set, is called once with the number of pairs this run
	// will simulate; OnSample after each pair (from any goroutine).
	OnStart  func(pairs int)
	OnSample func()
}

// BuildResult summarises one Build call.
type BuildResult struct {
	// Built and Skipped are the IDs of the files written now and of those
	// found complete from an earlier run.
	Built, Skipped []int
	// Pairs is the number of pairs simulated now; Seconds the wall time.
	Pairs   int
	Seconds float64
	// Manifest is the merged manifest after this run.
	Manifest *Manifest
}

// inputFile is one velocity file read by a build.
type inputFile struct {
	Path    string `json:"path"` // relative to the maps directory
	Number  int    `json:"number"`
	Samples int    `json:"samples"`
	SHA256  string `json:"sha256"`
}

// maxYRef records the training set a test set takes MaxY from.
type maxYRef struct {
	MaxY     float32 `json:"max_y"`
	ConfigID string  `json:"config_id"`
	Dataset  string  `json:"dataset"`
	Files    []int   `json:"files"`
}

// config is everything that must be identical across resumed runs and
// shards; its SHA-256 is the config ID stored with every entry.
type config struct {
	Format   string       `json:"format"`
	Dataset  string       `json:"dataset"`
	Split    string       `json:"split"`
	Inputs   []inputFile  `json:"inputs"`
	Limit    int          `json:"limit"`
	Resize   string       `json:"resize"`
	Survey   SurveyConfig `json:"survey"`
	Seed     uint64       `json:"seed"`
	SeedRule string       `json:"seed_rule"`
	MaxYFrom *maxYRef     `json:"max_y_from,omitempty"`
	Files    []Entry      `json:"files"`
}

// Build writes the shard's files of a CIG data set: for every input file, the
// velocity maps resized to the survey grid (vel{N}.npy, (n, 1, Nz, Nx)) and
// their depth-weighted gathers (cig{N}.npy, (n, offsets, Nz, Nx)), then a
// manifest entry. Files are written under temporary names and renamed when
// complete, and the entry is written last, so a build killed at any moment
// leaves only complete files; a rerun skips the files that have an entry and
// rebuilds the others, and the result is byte for byte that of an
// uninterrupted build (every pair has its own seed; gathers do not depend on
// the number of workers). Finally manifest.json is rewritten from all entries
// present (of every shard); once the files holding the first min(300, N)
// pairs exist, MaxY is computed from them (training set) and recorded.
//
// Build returns ctx.Err() when cancelled, after removing its partial files.
func Build(ctx context.Context, cfg BuildConfig) (*BuildResult, error) {
	var err error
	if cfg.Shards, err = filebuild.Shards(cfg.Shard, cfg.Shards); err != nil {
		return nil, err
	}
	cfg.Workers = max(cfg.Workers, 1)
	if cfg.Limit < 0 {
		return nil, fmt.Errorf("limit must be >= 0 (0 = all maps), got %d", cfg.Limit)
	}
	if cfg.Out == "" {
		return nil, errors.New("cig build: no output directory")
	}
	sv, err := NewSurvey(cfg.Survey)
	if err != nil {
		return nil, err
	}
	conf, err := planBuild(cfg)
	if err != nil {
		return nil, err
	}
	cid, err := filebuild.ConfigID(conf)
	if err != nil {
		return nil, err
	}
	threads := max(1, runtime.GOMAXPROCS(0)/cfg.Workers)
	scfg := sv.Config()
	scfg.Workers = threads
	sv, _ = NewSurvey(scfg)
	job := filebuild.Job[Entry, Entry]{Out: cfg.Out, ConfigID: cid, Config: conf, Files: conf.Files,
		Shard: cfg.Shard, Shards: cfg.Shards, Recheck: cfg.Recheck, OnStart: cfg.OnStart}
	job.WriteJSON = writeJSON
	job.ID, job.Samples = func(f Entry) int { return f.ID }, func(f Entry) int { return f.Samples }
	job.Outputs = func(e *Entry) []filebuild.File {
		return []filebuild.File{{Path: e.Vel, Size: e.VelBytes, SHA256: e.VelSHA256}, {Path: e.CIG, Size: e.CIGBytes, SHA256: e.CIGSHA256}}
	}
	job.Build = func(ctx context.Context, f Entry) error { return buildFile(ctx, cfg, conf, sv, cid, f) }
	// Merge after every file, so that MaxY appears as soon as it can.
	job.AfterEach = func() error { _, err := WriteManifest(cfg.Out); return err }
	jr, err := job.Run(ctx)
	if jr == nil {
		return nil, err
	}
	res := &BuildResult{Built: jr.Built, Skipped: jr.Skipped, Pairs: jr.Samples, Seconds: jr.Seconds}
	if err == nil {
		res.Manifest, err = WriteManifest(cfg.Out)
	}
	return res, err
}

// planBuild resolves the inputs, the split and the output files.
func planBuild(cfg BuildConfig) (config, error) {
	var c config
	if len(cfg.Files) == 0 {
		return c, errors.New("no input files given")
	}
	d, err := openfwi.Lookup(filepath.Base(filepath.Clean(cfg.Maps)))
	if err != nil {
		return c, fmt.Errorf("maps directory %s: its name must be an OpenFWI dataset directory (e.g. CurveVel_A): %w", cfg.Maps, err)
	}
	col, err := openfwi.OpenCollection(cfg.Maps, d, 0)
	if err != nil {
		return c, err
	}
	byNum := map[int]openfwi.CollectionFile{}
	for _, f := range col.Files {
		if f.L == 0 && f.HasModel {
			byNum[f.Index] = f
		}
	}
	split := openfwi.Split(0)
	seen := map[int]bool{}
	left := cfg.Limit
	for _, n := range cfg.Files {
		if seen[n] {
			return c, fmt.Errorf("input file %d given twice", n)
		}
		seen[n] = true
		f, ok := byNum[n]
		if !ok {
			return c, fmt.Errorf("%s: no velocity file model/model%d.npy", cfg.Maps, n)
		}
		if split == 0 {
			split = f.Split
		} else if f.Split != split {
			return c, fmt.Errorf("input files mix training and test files (%s is %s, the first is %s): build them into separate data sets", f.Model, f.Split, split)
		}
		if cfg.Limit > 0 && left == 0 {
			break
		}
		p := col.Path(f.Model)
		fh, err := openfwi.OpenModels(p)
		if err != nil {
			return c, err
		}
		ns := fh.Header().Samples()
		fh.Close()
		sum, err := openfwi.FileSHA256(p)
		if err != nil {
			return c, err
		}
		c.Inputs = append(c.Inputs, inputFile{Path: f.Model, Number: n, Samples: ns, SHA256: sum})
		take := ns
		if cfg.Limit > 0 {
			take = min(ns, left)
			left -= take
		}
		c.Files = append(c.Files, Entry{ID: len(c.Files), Input: f.Model, InputNumber: n, Samples: take,
			Vel: fmt.Sprintf("vel%d.npy", n), CIG: fmt.Sprintf("cig%d.npy", n)})
	}
	c.Format, c.Dataset, c.Split, c.Limit = Format, d.Name, split.String(), cfg.Limit
	c.Resize, c.Seed, c.SeedRule = ResizeRule, cfg.Seed, SeedRule
	c.Survey = cfg.Survey
	c.Survey.Offsets = slices.Clone(cfg.Survey.Offsets)
	if cfg.MaxYFrom != "" {
		m, err := ReadManifest(cfg.MaxYFrom)
		if err != nil {
			return c, fmt.Errorf("--maxy-from: %w", err)
		}
		switch {
		case m.Split != openfwi.Train.String():
			return c, fmt.Errorf("--maxy-from %s is a %s set; the normalisation must come from a training set", cfg.MaxYFrom, m.Split)
		case !(m.MaxY > 0):
			return c, fmt.Errorf("--maxy-from %s has no MaxY yet (its first %d gathers are not built)", cfg.MaxYFrom, MaxYSamples)
		case !sameSurvey(m.Survey, cfg.Survey):
			return c, fmt.Errorf("--maxy-from %s was built with another survey (offsets, SNR, geometry or wave settings differ): its MaxY does not apply", cfg.MaxYFrom)
		}
		c.MaxYFrom = &maxYRef{MaxY: m.MaxY, ConfigID: m.ConfigID, Dataset: m.Dataset, Files: m.Files}
	} else if split == openfwi.Test {
		return c, fmt.Errorf("input files %v are test files: build them with --maxy-from TRAINDIR so that their gathers are normalised by the training set's MaxY", cfg.Files)
	}
	if len(c.Files) == 0 {
		return c, errors.New("no maps selected")
	}
	return c, nil
}

func sameSurvey(a, b SurveyConfig) bool {
	a.Workers, b.Workers = 0, 0
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// PairSeed returns the seed of pair i of input file n (SeedRule).
func PairSeed(dataset string, n, i int, seed uint64) uint64 {
	s := sha256.Sum256([]byte("genfwi/cig/v1\x00" + dataset + "\x00" + strconv.Itoa(n) + "\x00" + strconv.Itoa(i) + "\x00" + strconv.FormatUint(seed, 10)))
	return binary.LittleEndian.Uint64(s[:8])
}

// buildFile writes one velocity/gather file pair and its entry.
func buildFile(ctx context.Context, cfg BuildConfig, conf config, sv *Survey, cid string, f Entry) error {
	t0 := time.Now()
	for _, rel := range []string{f.Vel, f.CIG} {
		filebuild.RemovePartials(filepath.Join(cfg.Out, rel))
	}
	sc := sv.Config()
	n := sc.Nz * sc.Nx
	maps, err := readMaps(filepath.Join(cfg.Maps, f.Input), f.Samples)
	if err != nil {
		return err
	}
	vel := make([]float32, f.Samples*n)
	for i := range f.Samples {
		src := maps[i*openfwi.ModelLen : (i+1)*openfwi.ModelLen]
		for j, x := range src {
			if !(x > 0) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("%s: map %d has velocity %v at (z %d, x %d); velocities must be positive and finite", f.Input, i, x, j/openfwi.NX, j%openfwi.NX)
			}
		}
		openfwi.ResizeBilinear(vel[i*n:(i+1)*n], sc.Nz, sc.Nx, src, openfwi.NZ, openfwi.NX)
	}
	velPath, cigPath := filepath.Join(cfg.Out, f.Vel), filepath.Join(cfg.Out, f.CIG)
	vw, err := npy.StageFileFloat32(velPath, npy.Float32, []int{f.Samples, 1, sc.Nz, sc.Nx}, vel)
	if err != nil {
		return err
	}
	defer vw.Abort()
	cw, err := npy.Create(cigPath, npy.Float32, []int{f.Samples, len(sc.Offsets), sc.Nz, sc.Nx})
	if err != nil {
		return err
	}
	defer cw.Abort()
	e := f
	e.SNRMin, e.SNRMax = math.Inf(1), math.Inf(-1)
	var mu sync.Mutex
	err = parallel(ctx, cfg.Workers, f.Samples, func(ctx context.Context, i int) error {
		obs, err := sv.Observe(ctx, vel[i*n:(i+1)*n], PairSeed(conf.Dataset, f.InputNumber, i, conf.Seed))
		if err != nil {
			return fmt.Errorf("%s map %d: %w", f.Input, i, err)
		}
		g := make([]float32, sv.GatherLen())
		if err := sv.Gather(ctx, obs, nil, 1, g); err != nil {
			return fmt.Errorf("%s map %d: %w", f.Input, i, err)
		}
		amax := float32(0)
		for _, x := range g {
			if x != x || math.IsInf(float64(x), 0) {
				return fmt.Errorf("%s map %d: the gather contains NaN or Inf", f.Input, i)
			}
			amax = max(amax, float32(math.Abs(float64(x))))
		}
		if err := cw.WriteSampleFloat32(i, g); err != nil {
			return err
		}
		mu.Lock()
		e.CIGAbsMax = max(e.CIGAbsMax, amax)
		if sc.SNRdB > 0 {
			e.SNRMin, e.SNRMax = min(e.SNRMin, obs.SNRdB), max(e.SNRMax, obs.SNRdB)
		}
		mu.Unlock()
		if cfg.OnSample != nil {
			cfg.OnSample()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if sc.SNRdB == 0 {
		e.SNRMin, e.SNRMax = 0, 0
	}
	if err := vw.Commit(); err != nil {
		return err
	}
	if err := cw.Commit(); err != nil {
		return err
	}
	e.VelMin, e.VelMax = minMax(vel)
	e.ConfigID, e.Version = cid, cfg.Version
	if e.VelSHA256, e.VelBytes, err = filebuild.Describe(velPath); err != nil {
		return err
	}
	if e.CIGSHA256, e.CIGBytes, err = filebuild.Describe(cigPath); err != nil {
		return err
	}
	e.Seconds = time.Since(t0).Seconds()
	e.Finished = time.Now().UTC().Format(time.RFC3339)
	return writeJSON(filebuild.EntryPath(cfg.Out, f.ID), e)
}

// readMaps reads the first n 70×70 maps of an OpenFWI velocity file.
func readMaps(path string, n int) ([]float32, error) {
	fh, err := openfwi.OpenModels(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	if s := fh.Header().Samples(); s < n {
		return nil, fmt.Errorf("%s holds %d maps, the build needs %d", path, s, n)
	}
	v := make([]float32, n*openfwi.ModelLen)
	if err := fh.ReadSamplesFloat32(v, 0, n); err != nil {
		return nil, err
	}
	return v, nil
}

func minMax(v []float32) (lo, hi float32) {
	lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

// writeJSON writes v as indented JSON to path atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}

// maxYState is .manifest.d/maxy.json: MaxY of a training set, computed once.
type maxYState struct {
	ConfigID string  `json:"config_id"`
	MaxY     float32 `json:"max_y"`
	Samples  int     `json:"samples"`
}

// WriteManifest rebuilds dir/manifest.json from the configuration and the
// per-file entries in dir/.manifest.d and returns it. It computes MaxY
// (training set, once the files holding its first min(300, N) pairs exist) and
// keeps it in .manifest.d/maxy.json. Any shard may call it at any time: it
// runs under the exclusive lock dir/.manifest.d/lock (internal/flock), as
// openfwi.WriteManifest does.
func WriteManifest(dir string) (*Manifest, error) {
	cpath := filepath.Join(dir, filebuild.EntryDir, "config.json")
	if _, err := os.Stat(cpath); err != nil {
		return nil, fmt.Errorf("%s is not a CIG data set build (no %s): %w", dir, cpath, err)
	}
	unlock, err := flock.Lock(filepath.Join(dir, filebuild.EntryDir, "lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	b, err := os.ReadFile(cpath)
	if err != nil {
		return nil, err
	}
	var wrap struct {
		ID     string `json:"config_id"`
		Config config `json:"config"`
	}
	if err := json.Unmarshal(b, &wrap); err != nil {
		return nil, fmt.Errorf("reading %s: %w", cpath, err)
	}
	c := wrap.Config
	sc := c.Survey
	m := &Manifest{FilesPlanned: len(c.Files)}
	m.Meta = Meta{Format: Format, Nz: sc.Nz, Nx: sc.Nx, H: sc.H, Offsets: sc.Offsets, Shots: sc.Shots,
		Receivers: sc.Receivers, T: sc.T, SNRdB: sc.SNRdB, Dataset: c.Dataset, Split: c.Split,
		Seed: c.Seed, SeedRule: c.SeedRule, Survey: sc, ConfigID: wrap.ID}
	var names []string
	for _, in := range c.Inputs {
		m.Files = append(m.Files, in.Number)
		names = append(names, in.Path)
	}
	for _, f := range c.Files {
		m.Planned += f.Samples
	}
	m.Entries = filebuild.ReadEntries[Entry](dir, wrap.ID, c.Files, func(f Entry) int { return f.ID })
	for _, e := range m.Entries {
		m.Version = max(m.Version, e.Version) // the newest genfwi that wrote a file
	}
	sort.Slice(m.Entries, func(a, b int) bool { return m.Entries[a].ID < m.Entries[b].ID })
	for _, e := range m.Entries {
		m.Count += e.Samples
	}
	m.Complete = len(m.Entries) == len(c.Files)
	limit := ""
	if c.Limit > 0 {
		limit = fmt.Sprintf(", first %d maps", c.Limit)
	}
	m.Source = fmt.Sprintf("OpenFWI %s %s files %s%s; %s", c.Dataset, c.Split, strings.Join(names, ", "), limit, c.Resize)
	if c.MaxYFrom != nil {
		m.MaxY = c.MaxYFrom.MaxY
		m.MaxYFrom = fmt.Sprintf("training set %s files %v (config %.12s…)", c.MaxYFrom.Dataset, c.MaxYFrom.Files, c.MaxYFrom.ConfigID)
	} else {
		st, err := trainMaxY(dir, wrap.ID, c, m.Entries)
		if err != nil {
			return nil, err
		}
		if st != nil {
			m.MaxY = st.MaxY
			m.MaxYFrom = fmt.Sprintf("this set: quantile %g of |gather| over its first %d gathers", MaxYQuantile, st.Samples)
		}
	}
	return m, writeJSON(filepath.Join(dir, "manifest.json"), m)
}

// trainMaxY returns the MaxY of a training set: from maxy.json, or computed
// now if the entries cover the first min(300, planned) pairs; nil if not yet.
func trainMaxY(dir, cid string, c config, entries []Entry) (*maxYState, error) {
	p := filepath.Join(dir, filebuild.EntryDir, "maxy.json")
	if b, err := os.ReadFile(p); err == nil {
		var st maxYState
		if json.Unmarshal(b, &st) == nil && st.ConfigID == cid && st.MaxY > 0 {
			return &st, nil
		}
	}
	planned := 0
	for _, f := range c.Files {
		planned += f.Samples
	}
	need := min(MaxYSamples, planned)
	done := map[int]Entry{}
	for _, e := range entries {
		done[e.ID] = e
	}
	var vals []float32
	got := 0
	for _, f := range c.Files {
		if got == need {
			break
		}
		e, ok := done[f.ID]
		if !ok {
			return nil, nil
		}
		k := min(e.Samples, need-got)
		fh, err := npy.Open(filepath.Join(dir, e.CIG))
		if err != nil {
			return nil, err
		}
		per := fh.Header().SampleLen()
		buf := make([]float32, k*per)
		err = fh.ReadSamplesFloat32(buf, 0, k)
		fh.Close()
		if err != nil {
			return nil, err
		}
		for i, x := range buf {
			buf[i] = float32(math.Abs(float64(x)))
		}
		vals = append(vals, buf...)
		got += k
	}
	q := Quantile(vals, MaxYQuantile)
	if !(q > 0) {
		return nil, fmt.Errorf("%s: the first %d gathers are all zero: cannot normalise", dir, got)
	}
	st := &maxYState{ConfigID: cid, MaxY: q, Samples: got}
	return st, writeJSON(p, st)
}

// Quantile returns the p-quantile of v with linear interpolation between
// order statistics (Julia's Statistics.quantile default, type 7): for the
// sorted values x₁ ≤ … ≤ xₙ, h = (n−1)p + 1, q = x⌊h⌋ + (h − ⌊h⌋)(x⌊h⌋+1 − x⌊h⌋).
// It sorts v in place and returns 0 for an empty v.
func Quantile(v []float32, p float64) float32 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	h := float64(len(v)-1) * p
	lo := int(math.Floor(h))
	if lo >= len(v)-1 {
		return v[len(v)-1]
	}
	f := h - float64(lo)
	return float32(float64(v[lo]) + f*(float64(v[lo+1])-float64(v[lo])))
}
