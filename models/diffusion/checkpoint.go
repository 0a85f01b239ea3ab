package diffusion

import (
	"encoding/json"
	"fmt"
	"maps"
	"strconv"

	"genfwi/nn"
)

// Format is the checkpoint metadata "format" value of diffusion models.
const Format = "genfwi-diffusion"

// Save writes the UNet weights to path as safetensors with the Config as
// JSON under "config", "format" = Format, "scale_factor" and extra
// metadata. To save EMA weights, Swap them into the arena first. Atomic.
func (m *Model) Save(path string, extra map[string]string) error {
	meta := map[string]string{"format": Format, "scale_factor": strconv.FormatFloat(m.ScaleFactor, 'g', -1, 64)}
	maps.Copy(meta, extra)
	if err := nn.SaveModel(path, m.Arena, nil, m.Cfg, meta); err != nil {
		return fmt.Errorf("saving diffusion checkpoint: %w", err)
	}
	return nil
}

// Load builds the model from the config stored in the checkpoint at path,
// loads the weights and the scale factor, and returns the metadata.
func Load(path string) (*Model, map[string]string, error) {
	_, meta, err := nn.ReadSafetensors(path)
	if err != nil {
		return nil, nil, err
	}
	if meta["format"] != Format {
		return nil, nil, fmt.Errorf("reading %s: not a diffusion checkpoint (format %q)", path, meta["format"])
	}
	c, err := ParseConfig([]byte(meta["config"]), path)
	if err != nil {
		return nil, nil, err
	}
	m, err := New(*c)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if _, err := nn.LoadModel(path, m.Arena, nil); err != nil {
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
