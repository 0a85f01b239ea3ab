package openfwi

import (
	"fmt"
	"strings"
)

// Geometry of every 2D OpenFWI dataset (lanl/OpenFWI's dataset_config.json).
const (
	NZ         = 70   // velocity map rows (depth), cells
	NX         = 70   // velocity map columns, cells
	DX         = 10.0 // cell size, m
	Shots      = 5    // shots per seismic sample
	NT         = 1000 // time samples per trace
	DT         = 1e-3 // time step, s
	Receivers  = 70   // receivers per shot
	FileSize   = 500  // samples per file
	ModelLen   = NZ * NX
	DataLen    = Shots * NT * Receivers
	VelocityLo = 1500.0 // label_min, m/s
	VelocityHi = 4500.0 // label_max, m/s
)

// Family is the naming and split scheme of a dataset.
type Family int

const (
	// Vel is FlatVel and CurveVel: data/data{i}.npy, 60 files.
	Vel Family = iota + 1
	// Fault is FlatFault and CurveFault: seis{L}_1_{k}.npy, 108 files.
	Fault
	// Style is Style-A/B: like Vel, 134 files.
	Style
)

func (f Family) String() string {
	switch f {
	case Vel:
		return "Vel"
	case Fault:
		return "Fault"
	case Style:
		return "Style"
	}
	return fmt.Sprintf("Family(%d)", int(f))
}

// Dataset describes one of the ten 2D OpenFWI datasets.
type Dataset struct {
	// Name is the dataset_config.json key, e.g. "flatvel-a".
	Name string
	// Dir is the directory name used by LANL and Kaggle, e.g. "FlatVel_A".
	Dir string
	// Family selects the file naming and split.
	Family Family
	// Layers are the L values of Fault file names (seis{L}_1_{k}); nil
	// for Vel and Style.
	Layers []int
	// Norm holds the normalisation constants.
	Norm Norm
}

// Datasets are the ten 2D OpenFWI datasets with their dataset_config.json
// constants.
var Datasets = []Dataset{
	{"flatvel-a", "FlatVel_A", Vel, nil, Norm{-26.95, 52.77, VelocityLo, VelocityHi}},
	{"flatvel-b", "FlatVel_B", Vel, nil, Norm{-27.17, 56.05, VelocityLo, VelocityHi}},
	{"curvevel-a", "CurveVel_A", Vel, nil, Norm{-27.11, 55.10, VelocityLo, VelocityHi}},
	{"curvevel-b", "CurveVel_B", Vel, nil, Norm{-29.04, 57.03, VelocityLo, VelocityHi}},
	{"flatfault-a", "FlatFault_A", Fault, []int{2, 3, 4}, Norm{-26.10, 50.86, VelocityLo, VelocityHi}},
	{"flatfault-b", "FlatFault_B", Fault, []int{6, 7, 8}, Norm{-24.86, 50.28, VelocityLo, VelocityHi}},
	{"curvefault-a", "CurveFault_A", Fault, []int{2, 3, 4}, Norm{-26.48, 52.32, VelocityLo, VelocityHi}},
	{"curvefault-b", "CurveFault_B", Fault, []int{6, 7, 8}, Norm{-24.93, 50.98, VelocityLo, VelocityHi}},
	{"style-a", "Style_A", Style, nil, Norm{-24.96, 48.93, VelocityLo, VelocityHi}},
	{"style-b", "Style_B", Style, nil, Norm{-23.76, 46.01, VelocityLo, VelocityHi}},
}

// Lookup finds a dataset by its config name ("flatvel-a"), directory name
// ("FlatVel_A") or display name ("FlatVel-A"), case-insensitively.
func Lookup(name string) (Dataset, error) {
	key := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	var names []string
	for _, d := range Datasets {
		if d.Name == key {
			return d, nil
		}
		names = append(names, d.Name)
	}
	return Dataset{}, fmt.Errorf("unknown OpenFWI dataset %q (have %s)", name, strings.Join(names, ", "))
}

// Split is a train or test partition.
type Split int

const (
	// Train files may be used for training.
	Train Split = iota + 1
	// Test files are held out for evaluation only.
	Test
)

func (s Split) String() string {
	switch s {
	case Train:
		return "train"
	case Test:
		return "test"
	}
	return fmt.Sprintf("Split(%d)", int(s))
}

// Layout tells which split rule applies to a directory of files.
type Layout int

const (
	// Official is the lanl/OpenFWI split (its split_files; docs/datasets.md §2).
	Official Layout = iota + 1
	// Subset is the 12-file redistribution shipped with genfwi
	// (FanSmale/ddnet): files 1–10 train, 11–12 test.
	Subset
)

func (l Layout) String() string {
	switch l {
	case Official:
		return "official"
	case Subset:
		return "subset"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// FileRef names one pair of files (seismic data and velocity model) of a
// dataset. Paths are relative to the dataset directory.
type FileRef struct {
	// Index is i for Vel/Style naming (from 1), or k for Fault naming.
	Index int
	// L is the layer tag of Fault naming (seis{L}_1_{k}), 0 for Vel naming.
	L int
	// Data and Model are the file paths relative to the dataset directory.
	Data, Model string
	// Split is the partition the file belongs to.
	Split Split
}

// VelRef returns the Vel/Style-named pair for file i (from 1) without a split.
func VelRef(i int) FileRef {
	return FileRef{Index: i, Data: fmt.Sprintf("data/data%d.npy", i), Model: fmt.Sprintf("model/model%d.npy", i)}
}

// FaultRef returns the Fault-named pair seis{L}_1_{k}/vel{L}_1_{k} without a split.
func FaultRef(l, k int) FileRef {
	return FileRef{Index: k, L: l, Data: fmt.Sprintf("seis%d_1_%d.npy", l, k), Model: fmt.Sprintf("vel%d_1_%d.npy", l, k)}
}

// SplitOf returns the split of a file reference under a layout, for the
// naming scheme the reference uses.
func (d Dataset) SplitOf(r FileRef, layout Layout) Split {
	if r.L != 0 { // Fault naming: k 0–31 train, 32–35 test.
		if r.Index >= 32 {
			return Test
		}
		return Train
	}
	if layout == Subset {
		if r.Index > 10 {
			return Test
		}
		return Train
	}
	switch d.Family {
	case Style:
		if r.Index > 120 {
			return Test
		}
	default:
		// Vel naming; a Fault dataset with Vel naming only occurs in the
		// subset layout, handled above, so Vel's rule is the fallback.
		if r.Index > 48 {
			return Test
		}
	}
	return Train
}

// OfficialFiles lists the files of the official dataset in split s, ordered
// by index (Fault: by L, then k).
func (d Dataset) OfficialFiles(s Split) []FileRef {
	var out []FileRef
	add := func(r FileRef) {
		if r.Split = d.SplitOf(r, Official); r.Split == s {
			out = append(out, r)
		}
	}
	switch d.Family {
	case Vel:
		for i := 1; i <= 60; i++ {
			add(VelRef(i))
		}
	case Style:
		for i := 1; i <= 134; i++ {
			add(VelRef(i))
		}
	case Fault:
		for _, l := range d.Layers {
			for k := 0; k <= 35; k++ {
				add(FaultRef(l, k))
			}
		}
	}
	return out
}
