package openfwi

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"genfwi/npy"
	"genfwi/openfwi/gen"
)

// demoDatasets are the datasets of scripts/demo.sh.
func demoDatasets(t *testing.T) []Dataset {
	t.Helper()
	var ds []Dataset
	for _, n := range []string{"flatvel-a", "curvevel-a"} {
		d, err := Lookup(n)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	return ds
}

// TestChooseMapsFallsBackToGenerators: with no real maps where they are
// expected (the demo on a machine without ../shared), ChooseMaps writes the
// generators' maps in the layout of the shipped real subset and selects
// them: 12 files per dataset, files 1–10 training and 11–12 test, shape
// (n, 1, 70, 70), every value in [1500, 4500] m/s, FlatVel-A maps
// laterally invariant and CurveVel-A maps curved, identical to what
// "dataset build --source gen" draws, and marked GENERATED.json.
func TestChooseMapsFallsBackToGenerators(t *testing.T) {
	const files, perFile = 12, 20
	base := t.TempDir()
	missing := filepath.Join(base, "shared", "data", "openfwi") // does not exist
	genRoot := filepath.Join(base, "demo-out", "openfwi-gen")
	ds := demoDatasets(t)
	c, err := ChooseMaps(missing, genRoot, ds, files, perFile)
	if err != nil {
		t.Fatal(err)
	}
	if c.Root != genRoot || !c.Generated || !strings.Contains(c.Reason, missing) {
		t.Fatalf("choice %+v: want the generated root %s with a reason naming %s", c, genRoot, missing)
	}
	if _, err := os.Stat(filepath.Join(genRoot, GeneratedFile)); err != nil {
		t.Fatalf("generated root is not marked: %v", err)
	}
	if err := CheckMaps(genRoot, ds); err != nil {
		t.Fatalf("generated root is not usable: %v", err)
	}
	for _, d := range ds {
		col, err := OpenCollection(filepath.Join(genRoot, d.Dir), d, 0)
		if err != nil {
			t.Fatal(err)
		}
		var train, test []int
		for _, f := range col.Train() {
			train = append(train, f.Index)
		}
		for _, f := range col.Test() {
			test = append(test, f.Index)
		}
		if col.Layout != Subset || len(train) != 10 || train[0] != 1 || train[9] != 10 || !slices.Equal(test, []int{11, 12}) {
			t.Fatalf("%s: layout %v, train %v, test %v; want the shipped subset's 1–10 / 11–12", d.Name, col.Layout, train, test)
		}
		src, err := NewGenSource(d, files, perFile)
		if err != nil {
			t.Fatal(err)
		}
		curved := 0
		for _, f := range src.Files() {
			path := filepath.Join(genRoot, d.Dir, f.Model)
			m, err := OpenModels(path)
			if err != nil {
				t.Fatal(err)
			}
			if s := m.Shape(); !slices.Equal(s, []int{perFile, 1, NZ, NX}) {
				t.Fatalf("%s: shape %v", path, s)
			}
			m.Close()
			got, _, err := npy.ReadFileFloat32(path)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float32, perFile*ModelLen)
			if err := src.Models(f, want); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s differs from the maps of dataset build --source gen", path)
			}
			if lo, hi := minMax(got); lo < VelocityLo || hi > VelocityHi {
				t.Fatalf("%s: velocities %g–%g m/s outside [1500, 4500]", path, lo, hi)
			}
			for i := range perFile {
				if !gen.LaterallyInvariant(got[i*ModelLen : (i+1)*ModelLen]) {
					curved++
				}
			}
		}
		switch {
		case d.Name == "flatvel-a" && curved != 0:
			t.Errorf("flatvel-a: %d maps are not flat", curved)
		case d.Name == "curvevel-a" && curved < files*perFile*9/10:
			t.Errorf("curvevel-a: only %d of %d maps are curved", curved, files*perFile)
		}
	}
	// A rerun keeps the complete set as it is.
	p := filepath.Join(genRoot, "CurveVel_A", "model", "model11.npy")
	st0, _ := os.Stat(p)
	c2, err := ChooseMaps(missing, genRoot, ds, files, perFile)
	if err != nil || c2 != c {
		t.Fatalf("rerun: %+v, %v", c2, err)
	}
	if st1, _ := os.Stat(p); !st1.ModTime().Equal(st0.ModTime()) {
		t.Error("a rerun rewrote a complete generated set")
	}
	// A lost file is rewritten.
	os.Remove(p)
	if _, err := ChooseMaps(missing, genRoot, ds, files, perFile); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("lost file not rewritten: %v", err)
	}
	// Another configuration in the same directory is refused.
	if _, err := WriteGeneratedMaps(genRoot, ds, files, perFile+1); err == nil || !strings.Contains(err.Error(), "another configuration") {
		t.Fatalf("other configuration: err = %v", err)
	}
}

// writeFakeReal writes a stand-in for the real maps: the given Vel files of
// each dataset with two constant maps, without GENERATED.json.
func writeFakeReal(t *testing.T, root string, ds []Dataset, files []int) {
	t.Helper()
	for _, d := range ds {
		dir := filepath.Join(root, d.Dir, "model")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, i := range files {
			v := make([]float32, 2*ModelLen)
			for k := range v {
				v[k] = 2000
			}
			if err := npy.WriteFileFloat32(filepath.Join(dir, fmt.Sprintf("model%d.npy", i)), npy.Float32, []int{2, 1, NZ, NX}, v); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestChooseMapsPrefersRealMaps: real maps, when present with training and
// test files, are the default and nothing is generated; an incomplete real
// directory (no test files) falls back with the reason; a non-empty
// directory without GENERATED.json is never written into.
func TestChooseMapsPrefersRealMaps(t *testing.T) {
	base := t.TempDir()
	ds := demoDatasets(t)
	real := filepath.Join(base, "real")
	writeFakeReal(t, real, ds, []int{1, 2, 11})
	genRoot := filepath.Join(base, "gen")
	c, err := ChooseMaps(real, genRoot, ds, 12, 3)
	if err != nil {
		t.Fatal(err)
	}
	if c != (MapsChoice{Root: real}) {
		t.Fatalf("choice %+v, want the real root", c)
	}
	if _, err := os.Stat(genRoot); err == nil {
		t.Fatal("generated maps were written although real maps are present")
	}

	partial := filepath.Join(base, "partial")
	writeFakeReal(t, partial, ds, []int{1, 2})
	c, err = ChooseMaps(partial, genRoot, ds, 12, 3)
	if err != nil {
		t.Fatal(err)
	}
	if c.Root != genRoot || !c.Generated || !strings.Contains(c.Reason, "no test velocity files") {
		t.Fatalf("incomplete real maps: choice %+v", c)
	}

	// The preferred root may itself be a generated set: used, and said so.
	c, err = ChooseMaps(genRoot, filepath.Join(base, "other"), ds, 12, 3)
	if err != nil || c != (MapsChoice{Root: genRoot, Generated: true}) {
		t.Fatalf("generated root preferred: %+v, %v", c, err)
	}

	if _, err := WriteGeneratedMaps(real, ds, 12, 3); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("writing into a real root: err = %v", err)
	}
}

// TestChooseMapsRealData: on this machine's real OpenFWI maps (skipped when
// absent), the real root is selected.
func TestChooseMapsRealData(t *testing.T) {
	if _, err := os.Stat(realRoot); err != nil {
		t.Skipf("real OpenFWI data not available: %v", err)
	}
	c, err := ChooseMaps(realRoot, filepath.Join(t.TempDir(), "gen"), demoDatasets(t), 12, 500)
	if err != nil || c.Root != realRoot || c.Generated {
		t.Fatalf("real data: choice %+v, %v", c, err)
	}
}
