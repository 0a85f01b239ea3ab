// Package filebuild is the bookkeeping of genfwi's resumable, sharded data
// set builds (openfwi.Build and cig.Build). A build writes numbered groups
// of output files into a directory; each group is certified by an entry
// file DIR/.manifest.d/fileNNNNN.json written after its files, and
// DIR/.manifest.d/config.json records the configuration (by its ID), so
// that shards can run at once in the same directory and a rerun skips the
// groups whose entry and files are intact.
//
// The packages keep their own entry and manifest types; this one only
// knows the directory layout, the configuration check and the file
// checksums.
package filebuild

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// EntryDir is the directory of a build's configuration and entries.
const EntryDir = ".manifest.d"

// EntryPath is the path of the entry of output group id in the build
// directory dir.
func EntryPath(dir string, id int) string {
	return filepath.Join(dir, EntryDir, fmt.Sprintf("file%05d.json", id))
}

// ConfigID returns the hex SHA-256 of conf's JSON encoding, the ID that
// config.json and every entry record.
func ConfigID(conf any) (string, error) {
	b, err := json.Marshal(conf)
	if err != nil {
		return "", fmt.Errorf("encoding build configuration: %w", err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}

// openDir prepares the build directory out for a build of configuration conf
// with ID cid: it creates out/.manifest.d and writes config.json (as
// {"config_id": cid, "config": conf}, through write) unless it exists, and
// refuses a directory that holds a build of another configuration.
func openDir(out, cid string, conf any, write func(path string, v any) error) error {
	if err := os.MkdirAll(filepath.Join(out, EntryDir), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", out, err)
	}
	cpath := filepath.Join(out, EntryDir, "config.json")
	if b, err := os.ReadFile(cpath); err == nil {
		var old struct {
			ID string `json:"config_id"`
		}
		if json.Unmarshal(b, &old) == nil && old.ID != cid {
			return fmt.Errorf("%s holds a build with a different configuration (config %.12s…, now %.12s…): use a new --out directory or the original settings", out, old.ID, cid)
		}
		return nil
	}
	return write(cpath, map[string]any{"config_id": cid, "config": conf})
}

// Shards checks the shard selection of a build: shards ≤ 0 means 1 (the
// whole build), and 0 ≤ shard < shards. It returns the shard count.
func Shards(shard, shards int) (int, error) {
	shards = max(shards, 1)
	if shard < 0 || shard >= shards {
		return 0, fmt.Errorf("shard %d/%d: want 0 <= shard < %d", shard, shards, shards)
	}
	return shards, nil
}

// Job is one shard's run of a build whose output groups are of type F and
// whose entries are of type E.
type Job[F, E any] struct {
	// Out is the build directory, ConfigID the ID of Config (see ConfigID),
	// WriteJSON how config.json is written (atomically).
	Out, ConfigID string
	Config        any
	WriteJSON     func(path string, v any) error
	// Files are the output groups of every shard; ID and Samples describe
	// one.
	Files       []F
	ID, Samples func(F) int
	// Outputs lists the files an entry certifies. A group is built when it
	// has an entry of ConfigID whose files are intact (see Intact; Recheck
	// compares checksums too).
	Outputs func(e *E) []File
	Recheck bool
	// Shard and Shards select the groups of this run (see Shards).
	Shard, Shards int
	// OnStart, if set, is called with the number of samples to build.
	OnStart func(total int)
	// Build writes one group and its entry.
	Build func(ctx context.Context, f F) error
	// AfterEach, if set, is called after each group built (cig merges its
	// manifest then, so that MaxY appears as soon as it can).
	AfterEach func() error
}

// JobResult is what Job.Run did.
type JobResult struct {
	// Built and Skipped are the IDs of the groups built now and of those
	// found done; Samples counts the samples built now.
	Built, Skipped []int
	Samples        int
	// Seconds is the wall time of the building.
	Seconds float64
}

// Run opens the build directory (openDir), builds the shard's pending groups
// (pending) in order and returns what it did, also when a group fails or
// ctx is cancelled (then with that error).
func (j *Job[F, E]) Run(ctx context.Context) (*JobResult, error) {
	if err := openDir(j.Out, j.ConfigID, j.Config, j.WriteJSON); err != nil {
		return nil, err
	}
	todo, skipped, total, err := pending(j.Files, j.Shard, j.Shards, j.ID, j.Samples, j.done)
	if err != nil {
		return nil, err
	}
	res := &JobResult{Skipped: skipped}
	if j.OnStart != nil {
		j.OnStart(total)
	}
	start := time.Now()
	for _, f := range todo {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if err := j.Build(ctx, f); err != nil {
			return res, err
		}
		res.Built = append(res.Built, j.ID(f))
		res.Samples += j.Samples(f)
		if j.AfterEach != nil {
			if err := j.AfterEach(); err != nil {
				return res, err
			}
		}
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// done reports whether group f is built: whether it has an entry of the
// job's configuration whose files are intact.
func (j *Job[F, E]) done(f F) (bool, error) {
	var e E
	if ok, err := ReadEntry(j.Out, j.ID(f), j.ConfigID, &e); !ok || err != nil {
		return false, err
	}
	return Intact(j.Out, j.Outputs(&e), j.Recheck), nil
}

// pending returns the output groups of shard shard (of shards, by ID modulo
// shards) still to build, the IDs of those done is skipped and the number
// of samples the pending ones hold; id and samples describe a group, done
// says whether it is built (see ReadEntry and Intact).
func pending[F any](files []F, shard, shards int, id, samples func(F) int, done func(F) (bool, error)) (todo []F, skipped []int, total int, err error) {
	for _, f := range files {
		if id(f)%shards != shard {
			continue
		}
		ok, err := done(f)
		if err != nil {
			return nil, nil, 0, err
		}
		if ok {
			skipped = append(skipped, id(f))
		} else {
			todo = append(todo, f)
			total += samples(f)
		}
	}
	return todo, skipped, total, nil
}

// ReadEntry reads the entry of group id in the build directory out into e
// and reports whether there is a usable one: a missing or corrupt entry
// means the group is to be (re)built, an entry of a configuration other
// than cid is an error.
func ReadEntry(out string, id int, cid string, e any) (bool, error) {
	b, err := os.ReadFile(EntryPath(out, id))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var head struct {
		ConfigID string `json:"config_id"`
	}
	if json.Unmarshal(b, &head) != nil || json.Unmarshal(b, e) != nil {
		return false, nil
	}
	if head.ConfigID != cid {
		return false, fmt.Errorf("%s was built with a different configuration (config %.12s…, now %.12s…): use a new --out directory or the original settings", out, head.ConfigID, cid)
	}
	return true, nil
}

// ReadEntries reads the entries of the output groups files (id gives a
// group's ID) that belong to configuration cid, in the order of files, for
// the manifest: a missing, corrupt or foreign entry is left out, its group
// not (yet) being part of the build.
func ReadEntries[E, F any](dir, cid string, files []F, id func(F) int) []E {
	var entries []E
	for _, f := range files {
		var e E
		if ok, err := ReadEntry(dir, id(f), cid, &e); ok && err == nil {
			entries = append(entries, e)
		}
	}
	return entries
}

// File is one output file as an entry records it.
type File struct {
	// Path is the file's path relative to the build directory.
	Path string
	// Size is its length in bytes, SHA256 its hex checksum.
	Size   int64
	SHA256 string
}

// Intact reports whether every file exists below out with its recorded
// size and, if recheck, its recorded checksum.
func Intact(out string, files []File, recheck bool) bool {
	for _, f := range files {
		p := filepath.Join(out, f.Path)
		st, err := os.Stat(p)
		if err != nil || st.Size() != f.Size {
			return false
		}
		if recheck {
			if s, err := SHA256(p); err != nil || s != f.SHA256 {
				return false
			}
		}
	}
	return true
}

// Describe returns the checksum and the size of the file at path, as an
// entry records them.
func Describe(path string) (sum string, size int64, err error) {
	if sum, err = SHA256(path); err != nil {
		return "", 0, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", 0, err
	}
	return sum, st.Size(), nil
}

// SHA256 returns the hex SHA-256 of the file at path.
func SHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Partials returns the paths, relative to dir, of the temporaries
// (".NAME.partial-*") below dir: files of a build that is running or was
// killed, which a verification reports.
func Partials(dir string) []string {
	var rels []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(d.Name(), ".partial-") {
			rel, _ := filepath.Rel(dir, p)
			rels = append(rels, rel)
		}
		return nil
	})
	return rels
}

// RemovePartials removes the temporaries (".NAME.partial-*") that an
// earlier, killed attempt left for the file at path, and only those: other
// shards may be writing theirs.
func RemovePartials(path string) {
	dir, base := filepath.Split(path)
	old, _ := filepath.Glob(filepath.Join(dir, "."+base+".partial-*"))
	for _, p := range old {
		os.Remove(p)
	}
}
