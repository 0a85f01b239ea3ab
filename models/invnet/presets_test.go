package invnet

import (
	"flag"
	"path/filepath"
	"testing"

	"genfwi/models/preset"
)

var update = flag.Bool("update", false, "rewrite configs/invnet-*.json from the built-in presets")

// TestPresetFiles checks that configs/invnet-<name>.json equal the built-in
// presets (run with -update to regenerate them) and that they load.
func TestPresetFiles(t *testing.T) {
	dir := filepath.Join("..", "..", "configs")
	if err := preset.CheckFiles(dir, "invnet", "./models/invnet", PresetNames(), Preset, LoadConfig, *update); err != nil {
		t.Error(err)
	}
}
