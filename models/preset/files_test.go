package preset_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"genfwi/models/diffusion"
	"genfwi/models/invnet"
	"genfwi/models/preset"
	"genfwi/models/vqae"
)

var update = flag.Bool("update", false, "rewrite configs/<kind>-*.json from the built-in presets")

// presetFiles is one model package's view of its presets.
type presetFiles struct {
	names []string
	get   func(string) (any, error)
	load  func(string) error
}

// files adapts a package's Preset and LoadConfig to presetFiles.
func files[C any](names []string, get func(string) (*C, error), load func(string) (*C, error)) presetFiles {
	return presetFiles{names,
		func(n string) (any, error) { return get(n) },
		func(p string) error { _, err := load(p); return err }}
}

// TestPresetFiles checks that configs/<kind>-<name>.json equal the built-in
// presets and that they load (go test ./models/preset -update regenerates
// them).
func TestPresetFiles(t *testing.T) {
	kinds := map[string]presetFiles{
		"diffusion": files(diffusion.PresetNames(), diffusion.Preset, diffusion.LoadConfig),
		"vqae":      files(vqae.PresetNames(), vqae.Preset, vqae.LoadConfig),
		"invnet":    files(invnet.PresetNames(), invnet.Preset, invnet.LoadConfig),
	}
	for kind, k := range kinds {
		for _, name := range k.names {
			c, err := k.get(name)
			if err != nil {
				t.Fatal(err)
			}
			want, err := preset.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("..", "..", "configs", kind+"-"+name+".json")
			if *update {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./models/preset -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from preset %q (run go test ./models/preset -update)", path, name)
			}
			if err := k.load(path); err != nil {
				t.Errorf("loading %s: %v", path, err)
			}
		}
	}
}

// TestTable checks lookup, the sorted names and the error for an unknown
// name.
func TestTable(t *testing.T) {
	type cfg struct{ N int }
	tab := preset.Table[cfg]{"b": func() *cfg { return &cfg{2} }, "a": func() *cfg { return &cfg{1} }}
	c, err := tab.Get("test", "b")
	if err != nil || c.N != 2 {
		t.Fatalf("Get(b) = %v, %v", c, err)
	}
	c.N = 5
	if c2, _ := tab.Get("test", "b"); c2.N != 2 {
		t.Error("Get returned a shared copy")
	}
	if got := tab.Names(); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("Names() = %v", got)
	}
	if _, err := tab.Get("test", "c"); err == nil || err.Error() != `unknown test preset "c" (have a, b)` {
		t.Errorf("Get(c) error = %v", err)
	}
}
