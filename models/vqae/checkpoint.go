package vqae

import (
	"encoding/json"

	"genfwi/nn"
)

// Format is the checkpoint metadata "format" value of VQ autoencoders.
const Format = "genfwi-vqae"

// Weights returns the parameter arena; the model has no buffers.
func (m *Model) Weights() (*nn.Arena, []*nn.Buffer) { return m.Arena, nil }

// Save writes the weights to path as safetensors (nn.SaveModel) with the
// Config as JSON under metadata "config", "format" = Format, and extra
// metadata (e.g. the training step or the latent scale). Atomic.
func (m *Model) Save(path string, extra map[string]string) error {
	return nn.SaveCheckpoint(path, Format, m, m.Cfg, extra)
}

// Load builds the model described by the config stored in the checkpoint
// at path and loads its weights. It returns the model and the checkpoint's
// metadata.
func Load(path string) (*Model, map[string]string, error) {
	return nn.LoadCheckpoint(path, Format, "a vqae", ParseConfig, New)
}

// MarshalIndent returns the config as indented JSON (the preset file format).
func (c *Config) MarshalIndent() ([]byte, error) { return json.MarshalIndent(c, "", "  ") }
