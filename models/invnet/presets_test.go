package invnet

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite configs/invnet-*.json from the built-in presets")

// TestPresetFiles checks that configs/invnet-<name>.json equal the built-in
// presets (run with -update to regenerate them) and that they load.
func TestPresetFiles(t *testing.T) {
	for _, name := range PresetNames() {
		c, err := Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.MarshalIndent(c, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		path := filepath.Join("..", "..", "configs", "invnet-"+name+".json")
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./models/invnet -run TestPresetFiles -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from preset %q (run with -update)", path, name)
		}
		if _, err := LoadConfig(path); err != nil {
			t.Errorf("loading %s: %v", path, err)
		}
	}
}
