package diffusion

import (
	"encoding/json"
	"fmt"
	"strconv"

	"genfwi/nn"
)

// Format is the checkpoint metadata "format" value of diffusion models.
const Format = "genfwi-diffusion"

// Weights returns the UNet's parameter arena; the model has no buffers.
func (m *Model) Weights() (*nn.Arena, []*nn.Buffer) { return m.Arena, nil }

// Save writes the UNet weights to path as safetensors with the Config as
// JSON under "config", "format" = Format, "scale_factor" and extra
// metadata. To save EMA weights, Swap them into the arena first. Atomic.
func (m *Model) Save(path string, extra map[string]string) error {
	meta := map[string]string{"scale_factor": strconv.FormatFloat(m.ScaleFactor, 'g', -1, 64)}
	return nn.SaveCheckpoint(path, Format, m, m.Cfg, meta, extra)
}

// Load builds the model from the config stored in the checkpoint at path,
// loads the weights and the scale factor, and returns the metadata.
func Load(path string) (*Model, map[string]string, error) {
	m, meta, err := nn.LoadCheckpoint(path, Format, "a diffusion", ParseConfig, New)
	if err != nil {
		return nil, nil, err
	}
	if s, ok := meta["scale_factor"]; ok {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || !(f > 0) {
			return nil, nil, fmt.Errorf("reading %s: bad scale_factor %q", path, s)
		}
		m.ScaleFactor = f
	}
	return m, meta, nil
}

// MarshalIndent returns the config as indented JSON (the preset file format).
func (c *Config) MarshalIndent() ([]byte, error) { return json.MarshalIndent(c, "", "  ") }
