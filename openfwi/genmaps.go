package openfwi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"genfwi/npy"
)

// GeneratedFile is the file at the root of a generated map set that marks
// its maps as generated, not real OpenFWI data, and records how they were
// made (a GeneratedMaps as JSON).
const GeneratedFile = "GENERATED.json"

// GeneratedMapsFormat identifies the layout of GeneratedFile.
const GeneratedMapsFormat = "genfwi-generated-maps/1"

// GeneratedMaps describes a root of generated velocity maps.
type GeneratedMaps struct {
	Format string `json:"format"`
	// Note says, for anyone who finds the directory, what the maps are.
	Note string `json:"note"`
	// Files and PerFile: every dataset has Files files of PerFile maps.
	Files   int `json:"files"`
	PerFile int `json:"per_file"`
	// Datasets describe the generators (name, parameters, seed rule).
	Datasets []SourceInfo `json:"datasets"`
}

// generatedNote is GeneratedMaps.Note.
const generatedNote = "Velocity maps drawn by genfwi's generators (package openfwi/gen), NOT real OpenFWI data. " +
	"Map j of file i is map j of file i of `genfwi dataset build --source gen` with the same --per-file. " +
	"Each generator's validation against real maps is in docs/datasets.md §4 " +
	"(FlatVel-A and CurveVel-A: go test ./openfwi/gen -run Statistics)."

// WriteGeneratedMaps writes, for every dataset of ds, files × perFile maps
// from its generator (GenSource) into root/<Dir>/model/model{i}.npy, i = 1
// … files (Fault datasets: root/<Dir>/vel{L}_1_{k}.npy), float32 (n, 1, 70,
// 70), without seismic, then root/GENERATED.json. With files = 12 the root
// has the layout of the real maps shipped with genfwi, and OpenCollection
// classifies it the same way: files 1–10 training, 11–12 test.
//
// Each file is written atomically. If root already holds a complete set
// with the same description, nothing is rewritten. WriteGeneratedMaps
// refuses to write into a non-empty root that is not a generated set (so
// real data are never overwritten) or that holds a generated set of another
// description.
func WriteGeneratedMaps(root string, ds []Dataset, files, perFile int) (*GeneratedMaps, error) {
	if len(ds) == 0 {
		return nil, errors.New("generated maps: no datasets given")
	}
	want := &GeneratedMaps{Format: GeneratedMapsFormat, Note: generatedNote, Files: files, PerFile: perFile}
	srcs := make([]*GenSource, len(ds))
	for i, d := range ds {
		s, err := NewGenSource(d, files, perFile)
		if err != nil {
			return nil, fmt.Errorf("generated maps of %s: %w", d.Name, err)
		}
		srcs[i] = s
		want.Datasets = append(want.Datasets, s.Info())
	}
	// Normalise through JSON so that the comparison with a file on disk
	// sees the same types.
	wantJSON, err := json.Marshal(want)
	if err != nil {
		return nil, fmt.Errorf("generated maps: encoding the description: %w", err)
	}
	old, err := readGenerated(root)
	switch {
	case err == nil:
		if !sameJSON(old, wantJSON) {
			return nil, fmt.Errorf("%s holds generated maps of another configuration (%s): remove it or choose another directory", root, GeneratedFile)
		}
		if complete(root, srcs) {
			return want, nil
		}
	case errors.Is(err, fs.ErrNotExist):
		if ents, err := os.ReadDir(root); err == nil && len(ents) > 0 {
			return nil, fmt.Errorf("%s is not empty and holds no %s: refusing to write generated maps into it (it may hold real data)", root, GeneratedFile)
		}
	default:
		return nil, err
	}
	for i, s := range srcs {
		for _, f := range s.Files() {
			if err := writeModels(filepath.Join(root, ds[i].Dir, f.Model), s, f); err != nil {
				return nil, err
			}
		}
	}
	if err := writeJSONAtomic(filepath.Join(root, GeneratedFile), want, ""); err != nil {
		return nil, err
	}
	return want, nil
}

// readGenerated returns the raw GENERATED.json of root.
func readGenerated(root string) (json.RawMessage, error) {
	b, err := os.ReadFile(filepath.Join(root, GeneratedFile))
	if err != nil {
		return nil, err
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("%s: not valid JSON", filepath.Join(root, GeneratedFile))
	}
	return b, nil
}

// sameJSON reports whether two JSON documents hold the same values.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// complete reports whether every model file of srcs exists under root with
// the planned number of maps.
func complete(root string, srcs []*GenSource) bool {
	for _, s := range srcs {
		for _, f := range s.Files() {
			m, err := OpenModels(filepath.Join(root, s.d.Dir, f.Model))
			if err != nil {
				return false
			}
			n := m.Shape()[0]
			m.Close()
			if n != f.Samples {
				return false
			}
		}
	}
	return true
}

// writeModels writes the maps of file f of s to path atomically.
func writeModels(path string, s *GenSource, f OutFile) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	maps := make([]float32, f.Samples*ModelLen)
	if err := s.Models(f, maps); err != nil {
		return fmt.Errorf("generating %s: %w", path, err)
	}
	return npy.WriteFileFloat32(path, npy.Float32, []int{f.Samples, 1, NZ, NX}, maps)
}

// CheckMaps returns nil if root holds velocity files of every dataset of ds
// in both the training and the test split (as OpenCollection classifies
// them), and otherwise an error that says what is missing.
func CheckMaps(root string, ds []Dataset) error {
	if st, err := os.Stat(root); err != nil {
		return fmt.Errorf("no OpenFWI maps: %w", err)
	} else if !st.IsDir() {
		return fmt.Errorf("no OpenFWI maps: %s is not a directory", root)
	}
	var missing []string
	for _, d := range ds {
		c, err := OpenCollection(filepath.Join(root, d.Dir), d, 0)
		if err != nil {
			missing = append(missing, err.Error())
			continue
		}
		for _, s := range []Split{Train, Test} {
			has := false
			for _, f := range c.split(s) {
				has = has || f.HasModel
			}
			if !has {
				missing = append(missing, fmt.Sprintf("%s has no %s velocity files", c.Root, s))
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("incomplete OpenFWI maps in %s: %s", root, strings.Join(missing, "; "))
	}
	return nil
}

// MapsChoice is the outcome of ChooseMaps.
type MapsChoice struct {
	// Root is the directory of velocity maps to use.
	Root string `json:"root"`
	// Generated reports whether Root holds generated maps (GENERATED.json).
	Generated bool `json:"generated"`
	// Reason says why the preferred root was not used ("" if it was).
	Reason string `json:"reason,omitempty"`
}

// ChooseMaps picks the velocity maps of ds: prefer itself when it holds
// maps of every dataset in both splits (CheckMaps) — the real OpenFWI maps
// are the default — and otherwise the generated maps of WriteGeneratedMaps
// (genRoot, files, perFile), written now if needed, with the reason. An
// empty prefer always selects generated maps. A preferred root that is
// itself a generated set is used and reported as generated.
func ChooseMaps(prefer, genRoot string, ds []Dataset, files, perFile int) (MapsChoice, error) {
	reason := "no preferred directory of real maps was given"
	if prefer != "" {
		err := CheckMaps(prefer, ds)
		if err == nil {
			_, gerr := os.Stat(filepath.Join(prefer, GeneratedFile))
			return MapsChoice{Root: prefer, Generated: gerr == nil}, nil
		}
		reason = err.Error()
	}
	if _, err := WriteGeneratedMaps(genRoot, ds, files, perFile); err != nil {
		return MapsChoice{}, err
	}
	return MapsChoice{Root: genRoot, Generated: true, Reason: reason}, nil
}
