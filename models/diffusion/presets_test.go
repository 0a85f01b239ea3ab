package diffusion

import (
	"flag"
	"path/filepath"
	"testing"

	"genfwi/models/preset"
)

var update = flag.Bool("update", false, "rewrite configs/diffusion-*.json from the built-in presets")

// TestPresetFiles checks that configs/diffusion-<name>.json equal the built-in
// presets (run with -update to regenerate them) and that they load.
func TestPresetFiles(t *testing.T) {
	dir := filepath.Join("..", "..", "configs")
	if err := preset.CheckFiles(dir, "diffusion", "./models/diffusion", PresetNames(), Preset, LoadConfig, *update); err != nil {
		t.Error(err)
	}
}
