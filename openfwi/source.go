package openfwi

import (
	"fmt"
	"path/filepath"

	"genfwi/internal/filebuild"
	"genfwi/openfwi/gen"
)

// Source supplies the velocity maps of the files of a dataset being built.
// Implementations must be deterministic: the same file always gets the same
// maps, whichever process asks (that is what makes resuming and sharding
// safe).
type Source interface {
	// Info describes the source for the manifest. It is part of the build
	// configuration: a resumed build must describe its source identically.
	Info() SourceInfo
	// Files returns the output files in build order.
	Files() []OutFile
	// Models writes the velocity maps of output file f ([n][z][x] m/s,
	// n = f.Samples) to dst.
	Models(f OutFile, dst []float32) error
}

// SourceInfo is the manifest description of a Source.
type SourceInfo struct {
	// Kind is "real" or "generator".
	Kind string `json:"kind"`
	// Dataset is the dataset name ("flatvel-a").
	Dataset string `json:"dataset"`
	// Root, Layout, Split and Inputs describe a real source: the
	// directory, its split rule, the split used and each input file
	// with its SHA-256. Root is not recorded, so that shards reading the
	// same files from different paths (other machines) agree; the
	// checksums identify the data.
	Root   string      `json:"-"`
	Layout string      `json:"layout,omitempty"`
	Split  string      `json:"split,omitempty"`
	Inputs []InputFile `json:"inputs,omitempty"`
	// Generator, Params and SeedRule describe a generator source.
	Generator string `json:"generator,omitempty"`
	Params    any    `json:"params,omitempty"`
	SeedRule  string `json:"seed_rule,omitempty"`
	// First is the index of the first map used (real source).
	First int `json:"first,omitempty"`
	// Samples is the total number of maps.
	Samples int `json:"samples"`
}

// InputFile is one real input velocity file.
type InputFile struct {
	Path    string `json:"path"`
	Samples int    `json:"samples"`
	SHA256  string `json:"sha256"`
}

// OutFile is one output file pair of a build.
type OutFile struct {
	// ID numbers the files 0..Files()−1; shard i of n builds the IDs with
	// ID mod n = i.
	ID int `json:"id"`
	FileRef
	// Samples is the number of maps in the file.
	Samples int `json:"samples"`
}

// RealSource serves the velocity maps of a real collection, training split
// unless Split says otherwise.
type RealSource struct {
	c       *Collection
	split   Split
	inputs  []InputFile
	counts  []int
	files   []OutFile
	total   int
	first   int
	perFile int
}

// NewRealSource prepares a build from the model files of collection c in
// split s (Train for training data; Test only for evaluation sets), using the
// maps lo..hi−1 of the split's files taken in order (hi = 0 means all). With
// lo = 0 and perFile equal to the input file size every output keeps its
// input's name and index, so test files stay test files; otherwise the
// outputs are renumbered from 1, which is allowed for the training split only.
func NewRealSource(c *Collection, s Split, perFile, lo, hi int) (*RealSource, error) {
	if perFile <= 0 {
		return nil, fmt.Errorf("samples per file must be positive, got %d", perFile)
	}
	r := &RealSource{c: c, split: s, perFile: perFile}
	var refs []FileRef
	for _, f := range c.split(s) {
		if !f.HasModel {
			continue
		}
		p := c.Path(f.Model)
		fh, err := OpenModels(p)
		if err != nil {
			return nil, err
		}
		n := fh.Header().Samples()
		fh.Close()
		sum, err := FileSHA256(p)
		if err != nil {
			return nil, err
		}
		r.inputs = append(r.inputs, InputFile{Path: f.Model, Samples: n, SHA256: sum})
		r.counts = append(r.counts, n)
		refs = append(refs, f.FileRef)
		r.total += n
	}
	if r.total == 0 {
		return nil, fmt.Errorf("dataset %s in %s has no %s velocity files", c.Dataset.Name, c.Root, s)
	}
	if hi == 0 {
		hi = r.total
	}
	if lo < 0 || hi > r.total || lo >= hi {
		return nil, fmt.Errorf("map range %d:%d is empty or outside the %d %s maps of %s", lo, hi, r.total, s, c.Dataset.Name)
	}
	r.first, r.total = lo, hi-lo
	keepNames := lo == 0
	for _, n := range r.counts {
		keepNames = keepNames && n == perFile
	}
	if !keepNames && s != Train {
		return nil, fmt.Errorf("a %s set must start at map 0 and keep the input files' size (%d samples per file) so that its files keep their test names", s, r.counts[0])
	}
	for id, done := 0, 0; done < r.total; id++ {
		n := min(perFile, r.total-done)
		ref := VelRef(id + 1)
		if keepNames {
			ref = refs[id]
			if ref.L != 0 { // keep Fault names as they are
				ref = FaultRef(ref.L, ref.Index)
			} else {
				ref = VelRef(ref.Index)
			}
		}
		ref.Split = s
		r.files = append(r.files, OutFile{ID: id, FileRef: ref, Samples: n})
		done += n
	}
	return r, nil
}

// Info implements Source.
func (r *RealSource) Info() SourceInfo {
	root, _ := filepath.Abs(r.c.Root)
	return SourceInfo{Kind: "real", Dataset: r.c.Dataset.Name, Root: root, Layout: r.c.Layout.String(),
		Split: r.split.String(), Inputs: r.inputs, First: r.first, Samples: r.total}
}

// Files implements Source.
func (r *RealSource) Files() []OutFile { return r.files }

// Models implements Source: it reads the maps of output file f from the
// input files that hold them.
func (r *RealSource) Models(f OutFile, dst []float32) error {
	if len(dst) != f.Samples*ModelLen {
		panic("openfwi: RealSource.Models: dst length does not match the file")
	}
	g := r.first + f.ID*r.perFile // index of the first map in the split
	for k, in := range r.inputs {
		n := r.counts[k]
		if g >= n {
			g -= n
			continue
		}
		fh, err := OpenModels(r.c.Path(in.Path))
		if err != nil {
			return err
		}
		m := min(n-g, len(dst)/ModelLen)
		err = fh.ReadSamplesFloat32(dst[:m*ModelLen], g, g+m)
		fh.Close()
		if err != nil {
			return err
		}
		dst = dst[m*ModelLen:]
		g = 0
		if len(dst) == 0 {
			return nil
		}
	}
	return fmt.Errorf("openfwi: real source ran out of maps for file %d", f.ID)
}

// GenSource serves maps from a generator of package gen.
type GenSource struct {
	d     Dataset
	g     gen.Generator
	files []OutFile
	total int
}

// NewGenSource prepares files×perFile generated maps of dataset d. Files are
// named like the official dataset: Vel/Style data{i} from i = 1, Fault
// seis{L}_1_{k} cycling through the dataset's L values (L = Layers[id mod
// len], k = id div len), each drawn with that many layers. Map i of file id
// uses the random stream gen.RNG(d.Name, id, i).
func NewGenSource(d Dataset, files, perFile int) (*GenSource, error) {
	if files <= 0 || perFile <= 0 {
		return nil, fmt.Errorf("files and samples per file must be positive, got %d and %d", files, perFile)
	}
	g, err := gen.New(d.Name)
	if err != nil {
		return nil, err
	}
	s := &GenSource{d: d, g: g, total: files * perFile}
	for id := range files {
		ref := VelRef(id + 1)
		if d.Family == Fault {
			ref = FaultRef(d.Layers[id%len(d.Layers)], id/len(d.Layers))
		}
		ref.Split = d.SplitOf(ref, Official)
		s.files = append(s.files, OutFile{ID: id, FileRef: ref, Samples: perFile})
	}
	return s, nil
}

// Info implements Source.
func (s *GenSource) Info() SourceInfo {
	return SourceInfo{Kind: "generator", Dataset: s.d.Name, Generator: s.g.Name(), Params: s.g,
		SeedRule: "map i of file id: PCG seeded with the first 16 bytes (two little-endian uint64) of SHA-256(\"genfwi/gen/v1\\x00\" + dataset + \"\\x00\" + id + \"\\x00\" + i)",
		Samples:  s.total}
}

// Files implements Source.
func (s *GenSource) Files() []OutFile { return s.files }

// Models implements Source.
func (s *GenSource) Models(f OutFile, dst []float32) error {
	if len(dst) != f.Samples*ModelLen {
		panic("openfwi: GenSource.Models: dst length does not match the file")
	}
	g := s.g
	if ff, ok := g.(*gen.Faulted); ok && f.L != 0 {
		g = ff.ForLayers(f.L)
	}
	for i := range f.Samples {
		g.Generate(dst[i*ModelLen:(i+1)*ModelLen], gen.RNG(s.d.Name, f.ID, i))
	}
	return nil
}

// FileSHA256 returns the hex SHA-256 of the file at path, the checksum the
// dataset manifests record.
func FileSHA256(path string) (string, error) { return filebuild.SHA256(path) }
