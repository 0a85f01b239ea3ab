package openfwi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"genfwi/internal/filebuild"
	"genfwi/internal/flock"
	"genfwi/npy"
)

// SimulateFunc computes one seismic sample: vel is a 70×70 map in m/s
// ([z][x]), dst (len 5·1000·70) receives [shot][t][receiver]. It must be
// safe for concurrent use; Build calls it from Workers goroutines.
type SimulateFunc func(ctx context.Context, vel, dst []float32) error

// ManifestFormat identifies the manifest layout.
const ManifestFormat = "genfwi-openfwi-dataset/1"

// BuildConfig configures Build.
type BuildConfig struct {
	// Out is the dataset directory to write (e.g. out/FlatVel_A).
	Out string
	// Dataset is the dataset being built (names, normalisation).
	Dataset Dataset
	// Source supplies the velocity maps.
	Source Source
	// Simulate computes the seismic data; SimulatorName (e.g.
	// "wave.OpenFWIForward") is recorded in the manifest and is part of
	// the configuration.
	Simulate      SimulateFunc
	SimulatorName string
	// Shard and Shards select the files with ID mod Shards = Shard
	// (Shards 0 means 1).
	Shard, Shards int
	// Workers is the number of samples simulated at once (0 means 1).
	Workers int
	// Version is the genfwi version recorded in the manifest.
	Version string
	// Recheck re-hashes files already built before skipping them.
	Recheck bool
	// OnStart, if set, is called once with the number of samples to
	// simulate in this run; OnSample after each simulated sample (from
	// any goroutine).
	OnStart  func(samples int)
	OnSample func()
}

// config is the part of a build that must be identical across resumed runs
// and shards; its SHA-256 is the config ID stored with every file.
type config struct {
	Format    string     `json:"format"`
	Dataset   string     `json:"dataset"`
	Source    SourceInfo `json:"source"`
	Simulator string     `json:"simulator"`
	Files     []OutFile  `json:"files"`
}

// Entry is the manifest record of one built file pair.
type Entry struct {
	OutFile
	ConfigID    string  `json:"config_id"`
	ModelSHA256 string  `json:"model_sha256"`
	DataSHA256  string  `json:"data_sha256"`
	ModelBytes  int64   `json:"model_bytes"`
	DataBytes   int64   `json:"data_bytes"`
	ModelMin    float32 `json:"model_min"`
	ModelMax    float32 `json:"model_max"`
	DataMin     float32 `json:"data_min"`
	DataMax     float32 `json:"data_max"`
	Version     string  `json:"genfwi_version"`
	Seconds     float64 `json:"seconds"`
	Finished    string  `json:"finished"`
}

// Manifest describes a built dataset: the configuration, and one entry per
// completed file. It is rebuilt from the per-file entries in .manifest.d.
type Manifest struct {
	Format         string     `json:"format"`
	Dataset        string     `json:"dataset"`
	Dir            string     `json:"dir"`
	ConfigID       string     `json:"config_id"`
	Source         SourceInfo `json:"source"`
	Simulator      string     `json:"simulator"`
	Norm           Norm       `json:"normalisation"`
	ModelShape     []int      `json:"model_shape"`
	DataShape      []int      `json:"data_shape"`
	Version        string     `json:"genfwi_version"`
	FilesPlanned   int        `json:"files_planned"`
	SamplesPlanned int        `json:"samples_planned"`
	Complete       bool       `json:"complete"`
	Files          []Entry    `json:"files"`
}

// BuildResult summarises one Build call.
type BuildResult struct {
	// Built and Skipped are the IDs of the files written now and of those
	// found complete from an earlier run.
	Built, Skipped []int
	// Samples is the number of samples simulated now.
	Samples int
	// Seconds is the wall time of the simulation phase.
	Seconds float64
	// Complete reports whether the whole dataset (every shard) is done.
	Complete bool
}

// Build writes the shard's files of an OpenFWI-layout dataset: for every
// output file, the model file (n, 1, 70, 70) and the data file (n, 5, 1000,
// 70), float32, simulated with cfg.Simulate, then a manifest entry. Each file
// is written under a temporary name and renamed when complete, and the entry
// is written last, so a build killed at any moment leaves only complete
// files; a rerun skips the files that have an entry and rebuilds the others
// (maps are deterministic, so the result is the same). Finally manifest.json
// is rewritten from all entries present (of every shard).
//
// Build returns ctx.Err() when cancelled, after removing its partial files.
func Build(ctx context.Context, cfg BuildConfig) (*BuildResult, error) {
	var err error
	if cfg.Shards, err = filebuild.Shards(cfg.Shard, cfg.Shards); err != nil {
		return nil, err
	}
	cfg.Workers = max(cfg.Workers, 1)
	if cfg.Simulate == nil || cfg.Source == nil {
		panic("openfwi: Build needs a Source and a Simulate function")
	}
	cid, conf, err := configID(cfg)
	if err != nil {
		return nil, err
	}
	job := filebuild.Job[OutFile, Entry]{Out: cfg.Out, ConfigID: cid, Config: conf, Files: conf.Files,
		Shard: cfg.Shard, Shards: cfg.Shards, Recheck: cfg.Recheck, OnStart: cfg.OnStart}
	job.WriteJSON = func(path string, v any) error { return writeJSONAtomic(path, v, "") }
	job.ID, job.Samples = func(f OutFile) int { return f.ID }, func(f OutFile) int { return f.Samples }
	job.Outputs = func(e *Entry) []filebuild.File {
		return []filebuild.File{{Path: e.Model, Size: e.ModelBytes, SHA256: e.ModelSHA256}, {Path: e.Data, Size: e.DataBytes, SHA256: e.DataSHA256}}
	}
	job.Build = func(ctx context.Context, f OutFile) error { return buildFile(ctx, cfg, cid, f) }
	jr, err := job.Run(ctx)
	if jr == nil {
		return nil, err
	}
	res := &BuildResult{Built: jr.Built, Skipped: jr.Skipped, Samples: jr.Samples, Seconds: jr.Seconds}
	if err != nil {
		return res, err
	}
	m, err := WriteManifest(cfg.Out)
	if err != nil {
		return res, err
	}
	res.Complete = m.Complete
	return res, nil
}

// configID returns the SHA-256 of the canonical configuration.
func configID(cfg BuildConfig) (string, config, error) {
	c := config{Format: ManifestFormat, Dataset: cfg.Dataset.Name, Source: cfg.Source.Info(),
		Simulator: cfg.SimulatorName, Files: cfg.Source.Files()}
	id, err := filebuild.ConfigID(c)
	return id, c, err
}

// buildFile writes one model/data pair and its entry.
func buildFile(ctx context.Context, cfg BuildConfig, cid string, f OutFile) error {
	t0 := time.Now()
	// Remove temporaries of an earlier, killed attempt at this file (and
	// only this file: other shards may be writing theirs).
	for _, rel := range []string{f.Model, f.Data} {
		path := filepath.Join(cfg.Out, rel)
		filebuild.RemovePartials(path)
		dir, _ := filepath.Split(path)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
	}
	models := make([]float32, f.Samples*ModelLen)
	if err := cfg.Source.Models(f, models); err != nil {
		return fmt.Errorf("file %s: %w", f.Model, err)
	}
	mlo, mhi := minMax(models)
	if math.IsNaN(float64(mlo)) || mlo <= 0 {
		return fmt.Errorf("file %s: velocity maps contain NaN or non-positive values", f.Model)
	}
	modelPath, dataPath := filepath.Join(cfg.Out, f.Model), filepath.Join(cfg.Out, f.Data)
	mw, err := npy.StageFileFloat32(modelPath, npy.Float32, []int{f.Samples, 1, NZ, NX}, models)
	if err != nil {
		return err
	}
	defer mw.Abort()
	dw, err := npy.Create(dataPath, npy.Float32, []int{f.Samples, Shots, NT, Receivers})
	if err != nil {
		return err
	}
	defer dw.Abort()
	dlo, dhi, err := simulateAll(ctx, cfg, f, models, dw)
	if err != nil {
		return err
	}
	// The model file goes first; a data file never exists without its
	// model, and the entry (written last) certifies both.
	if err := mw.Commit(); err != nil {
		return err
	}
	if err := dw.Commit(); err != nil {
		return err
	}
	e := Entry{OutFile: f, ConfigID: cid, ModelMin: mlo, ModelMax: mhi, DataMin: dlo, DataMax: dhi,
		Version: cfg.Version, Finished: time.Now().UTC().Format(time.RFC3339)}
	if e.ModelSHA256, e.ModelBytes, err = filebuild.Describe(modelPath); err != nil {
		return err
	}
	if e.DataSHA256, e.DataBytes, err = filebuild.Describe(dataPath); err != nil {
		return err
	}
	e.Seconds = time.Since(t0).Seconds()
	return writeJSONAtomic(filebuild.EntryPath(cfg.Out, f.ID), e, "")
}

// simulateAll simulates every sample of f on cfg.Workers goroutines and
// writes them to dw; it returns the data range.
func simulateAll(ctx context.Context, cfg BuildConfig, f OutFile, models []float32, dw *npy.FileWriter) (lo, hi float32, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var (
		mu       sync.Mutex
		firstErr error
	)
	lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
	fail := func(e error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = e
		}
		mu.Unlock()
		cancel()
	}
	var wg sync.WaitGroup
	for range min(cfg.Workers, f.Samples) {
		wg.Go(func() {
			buf := make([]float32, DataLen)
			for i := range next {
				if err := cfg.Simulate(ctx, models[i*ModelLen:(i+1)*ModelLen], buf); err != nil {
					fail(fmt.Errorf("simulating sample %d of %s: %w", i, f.Data, err))
					return
				}
				l, h := minMax(buf)
				if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) || math.IsInf(float64(h), 0) {
					fail(fmt.Errorf("simulating sample %d of %s: result contains NaN or Inf", i, f.Data))
					return
				}
				if err := dw.WriteSampleFloat32(i, buf); err != nil {
					fail(err)
					return
				}
				mu.Lock()
				lo, hi = min(lo, l), max(hi, h)
				mu.Unlock()
				if cfg.OnSample != nil {
					cfg.OnSample()
				}
			}
		})
	}
feed:
	for i := range f.Samples {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		if ctx.Err() != nil && errors.Is(firstErr, context.Canceled) {
			return lo, hi, context.Canceled
		}
		return lo, hi, firstErr
	}
	if err := ctx.Err(); err != nil {
		return lo, hi, err
	}
	return lo, hi, nil
}

// minMax returns the extremes of v; NaN if v holds a NaN.
func minMax(v []float32) (lo, hi float32) {
	lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
	for _, x := range v {
		if x != x {
			return x, x
		}
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

// writeJSONAtomic writes v as indented JSON to path via a temporary file.
// If id is set, v is wrapped as {"config_id": id, "config": v}.
func writeJSONAtomic(path string, v any, id string) error {
	if id != "" {
		v = map[string]any{"config_id": id, "config": v}
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(dir, "manifest.json"), err)
	}
	return &m, nil
}

// WriteManifest rebuilds dir/manifest.json from the configuration and the
// per-file entries in dir/.manifest.d, and returns the manifest. Any shard
// (any process, on any machine sharing the directory) may call it at any
// time: the read of the entries and the atomic rename of the new manifest
// happen under an exclusive lock on dir/.manifest.d/lock, so merges never
// interleave, and since every shard writes its entries before it merges,
// the last merge sees every entry written before it — shards finishing
// together cannot leave a manifest that misses one of their files. The
// lock is flock(2) on Unix (released by the kernel if the holder is
// killed; on NFS it needs a server with lock support, as NFSv4 has).
func WriteManifest(dir string) (*Manifest, error) {
	if _, err := os.Stat(filepath.Join(dir, filebuild.EntryDir)); err != nil {
		return nil, fmt.Errorf("%s is not a genfwi dataset build (no %s/config.json): %w", dir, filebuild.EntryDir, err)
	}
	unlock, err := flock.Lock(filepath.Join(dir, filebuild.EntryDir, "lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	return writeManifestLocked(dir)
}

// writeManifestLocked is WriteManifest's merge; the caller holds the lock.
func writeManifestLocked(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, filebuild.EntryDir, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("%s is not a genfwi dataset build (no %s/config.json): %w", dir, filebuild.EntryDir, err)
	}
	var wrap struct {
		ID     string `json:"config_id"`
		Config config `json:"config"`
	}
	if err := json.Unmarshal(b, &wrap); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(dir, filebuild.EntryDir, "config.json"), err)
	}
	c := wrap.Config
	d, err := Lookup(c.Dataset)
	if err != nil {
		return nil, err
	}
	m := &Manifest{Format: ManifestFormat, Dataset: d.Name, Dir: filepath.Base(dir), ConfigID: wrap.ID,
		Source: c.Source, Simulator: c.Simulator, Norm: d.Norm,
		ModelShape: []int{1, NZ, NX}, DataShape: []int{Shots, NT, Receivers}, FilesPlanned: len(c.Files)}
	for _, f := range c.Files {
		m.SamplesPlanned += f.Samples
	}
	m.Files = filebuild.ReadEntries[Entry](dir, wrap.ID, c.Files, func(f OutFile) int { return f.ID })
	for _, e := range m.Files {
		m.Version = max(m.Version, e.Version) // the newest genfwi that wrote a file
	}
	slices.SortFunc(m.Files, func(a, b Entry) int { return a.ID - b.ID })
	m.Complete = len(m.Files) == m.FilesPlanned
	return m, writeJSONAtomic(filepath.Join(dir, "manifest.json"), m, "")
}
