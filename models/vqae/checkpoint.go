package vqae

import (
	"encoding/json"
	"fmt"
	"maps"

	"genfwi/nn"
)

// Format is the checkpoint metadata "format" value of VQ autoencoders.
const Format = "genfwi-vqae"

// Save writes the weights to path as safetensors (nn.SaveModel) with the
// Config as JSON under metadata "config", "format" = Format, and extra
// metadata (e.g. the training step or the latent scale). Atomic.
func (m *Model) Save(path string, extra map[string]string) error {
	meta := map[string]string{"format": Format}
	maps.Copy(meta, extra)
	if err := nn.SaveModel(path, m.Arena, nil, m.Cfg, meta); err != nil {
		return fmt.Errorf("saving vqae checkpoint: %w", err)
	}
	return nil
}

// Load builds the model described by the config stored in the checkpoint
// at path and loads its weights. It returns the model and the checkpoint's
// metadata.
func Load(path string) (*Model, map[string]string, error) {
	_, meta, err := nn.ReadSafetensors(path)
	if err != nil {
		return nil, nil, err
	}
	if meta["format"] != Format {
		return nil, nil, fmt.Errorf("reading %s: not a vqae checkpoint (format %q)", path, meta["format"])
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
	return m, meta, nil
}

// MarshalIndent returns the config as indented JSON (the preset file format).
func (c *Config) MarshalIndent() ([]byte, error) { return json.MarshalIndent(c, "", "  ") }
