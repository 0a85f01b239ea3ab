package openfwi

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"

	"genfwi/npy"
)

// Collection is the set of files of one dataset found in a directory.
type Collection struct {
	// Root is the dataset directory (e.g. .../openfwi/FlatVel_A).
	Root string
	// Dataset is the dataset the directory holds.
	Dataset Dataset
	// Layout is the split rule in force.
	Layout Layout
	// Files are all pairs found, with their split; Data or Model may name a
	// file that does not exist (HasData/HasModel say which).
	Files []CollectionFile
}

// CollectionFile is a FileRef plus what exists on disk.
type CollectionFile struct {
	FileRef
	HasData, HasModel bool
}

var (
	reVelModel   = regexp.MustCompile(`^model(\d+)\.npy$`)
	reVelData    = regexp.MustCompile(`^data(\d+)\.npy$`)
	reFaultModel = regexp.MustCompile(`^vel(\d+)_1_(\d+)\.npy$`)
	reFaultData  = regexp.MustCompile(`^seis(\d+)_1_(\d+)\.npy$`)
)

// OpenCollection scans the dataset directory root (holding model/ and data/,
// or vel*/seis* files) for dataset d. If layout is 0 it is detected: Subset
// when every Vel-named index is at most 12 (the genfwi redistribution),
// Official otherwise. Detection errs on the safe side: an official download
// of only files 1–12 is treated as Subset, so files 11–12 count as test.
func OpenCollection(root string, d Dataset, layout Layout) (*Collection, error) {
	c := &Collection{Root: root, Dataset: d}
	found := map[FileRef]*CollectionFile{}
	add := func(r FileRef, data bool) {
		key := r
		cf := found[key]
		if cf == nil {
			cf = &CollectionFile{FileRef: r}
			found[key] = cf
		}
		if data {
			cf.HasData = true
		} else {
			cf.HasModel = true
		}
	}
	scan := func(dir string, f func(name string)) error {
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("scanning %s: %w", dir, err)
		}
		for _, e := range ents {
			if !e.IsDir() {
				f(e.Name())
			}
		}
		return nil
	}
	atoi := func(s string) int { v, _ := strconv.Atoi(s); return v }
	if st, err := os.Stat(root); err != nil {
		return nil, fmt.Errorf("opening dataset %s: %w", d.Name, err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("opening dataset %s: %s is not a directory", d.Name, root)
	}
	if err := scan(filepath.Join(root, "model"), func(n string) {
		if m := reVelModel.FindStringSubmatch(n); m != nil && atoi(m[1]) > 0 {
			add(VelRef(atoi(m[1])), false)
		}
	}); err != nil {
		return nil, err
	}
	if err := scan(filepath.Join(root, "data"), func(n string) {
		if m := reVelData.FindStringSubmatch(n); m != nil && atoi(m[1]) > 0 {
			add(VelRef(atoi(m[1])), true)
		}
	}); err != nil {
		return nil, err
	}
	if err := scan(root, func(n string) {
		if m := reFaultModel.FindStringSubmatch(n); m != nil {
			add(FaultRef(atoi(m[1]), atoi(m[2])), false)
		} else if m := reFaultData.FindStringSubmatch(n); m != nil {
			add(FaultRef(atoi(m[1]), atoi(m[2])), true)
		}
	}); err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("opening dataset %s: no OpenFWI files (model/model{i}.npy, vel{L}_1_{k}.npy) in %s", d.Name, root)
	}
	if layout == 0 {
		layout = Subset
		for r := range found {
			if r.L == 0 && r.Index > 12 {
				layout = Official
			}
		}
	}
	c.Layout = layout
	for _, cf := range found {
		cf.Split = d.SplitOf(cf.FileRef, layout)
		c.Files = append(c.Files, *cf)
	}
	slices.SortFunc(c.Files, func(a, b CollectionFile) int {
		if a.L != b.L {
			return a.L - b.L
		}
		return a.Index - b.Index
	})
	return c, nil
}

// Train returns the files of the training split, in index order. It never
// returns a test file.
func (c *Collection) Train() []CollectionFile { return c.split(Train) }

// Test returns the held-out files, for evaluation only.
func (c *Collection) Test() []CollectionFile { return c.split(Test) }

func (c *Collection) split(s Split) []CollectionFile {
	var out []CollectionFile
	for _, f := range c.Files {
		if f.Split == s {
			out = append(out, f)
		}
	}
	return out
}

// Path returns the absolute-or-root-relative path of a file of the collection.
func (c *Collection) Path(rel string) string { return filepath.Join(c.Root, rel) }

// OpenModels opens a velocity file and checks that it is a float array of
// shape (n, 1, 70, 70) (or (n, 70, 70)). Samples are read with
// ReadSamplesFloat32 on the returned file; close it when done.
func OpenModels(path string) (*npy.File, error) {
	f, err := npy.Open(path)
	if err != nil {
		return nil, err
	}
	s := f.Shape()
	if !(len(s) == 4 && s[1] == 1 && s[2] == NZ && s[3] == NX) && !(len(s) == 3 && s[1] == NZ && s[2] == NX) {
		f.Close()
		return nil, fmt.Errorf("%s: velocity file has shape %v, want (n, 1, %d, %d)", path, s, NZ, NX)
	}
	return f, nil
}

// OpenData opens a seismic file and checks that it has shape (n, 5, 1000, 70).
func OpenData(path string) (*npy.File, error) {
	f, err := npy.Open(path)
	if err != nil {
		return nil, err
	}
	s := f.Shape()
	if !(len(s) == 4 && s[1] == Shots && s[2] == NT && s[3] == Receivers) {
		f.Close()
		return nil, fmt.Errorf("%s: seismic file has shape %v, want (n, %d, %d, %d)", path, s, Shots, NT, Receivers)
	}
	return f, nil
}

// ReadModels reads all velocity maps of a model file: n maps of 70×70 m/s,
// row-major [n][z][x]. It allocates n·4900 float32.
func ReadModels(path string) ([]float32, int, error) {
	f, err := OpenModels(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	n := f.Header().Samples()
	v := make([]float32, n*ModelLen)
	if err := f.ReadSamplesFloat32(v, 0, n); err != nil {
		return nil, 0, err
	}
	return v, n, nil
}

// LoadTrainModels reads every velocity map of the training split of a
// collection, in file order, and returns them as [n][z][x] m/s. Test files are
// never read.
func (c *Collection) LoadTrainModels() ([]float32, int, error) {
	var all []float32
	n := 0
	for _, f := range c.Train() {
		if !f.HasModel {
			continue
		}
		v, k, err := ReadModels(c.Path(f.Model))
		if err != nil {
			return nil, 0, err
		}
		all = append(all, v...)
		n += k
	}
	if n == 0 {
		return nil, 0, fmt.Errorf("dataset %s in %s has no training velocity files", c.Dataset.Name, c.Root)
	}
	return all, n, nil
}
