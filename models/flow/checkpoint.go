package flow

import (
	"fmt"
	"maps"
	"math/rand/v2"

	"genfwi/nn"
)

// Format is the checkpoint metadata "format" value of flow networks.
const Format = "genfwi-flow"

// Save writes the weights to path as safetensors (nn.SaveModel: one F32
// tensor per parameter under its name, e.g. "level1.step2.coupling.rb.w1")
// with the Config as JSON under metadata "config", "format" = Format,
// "actnorm_initialized" and the extra metadata. Atomic.
func (g *Glow) Save(path string, extra map[string]string) error {
	meta := map[string]string{"format": Format, "actnorm_initialized": fmt.Sprint(g.Initialized())}
	maps.Copy(meta, extra)
	if err := nn.SaveModel(path, g.Arena, nil, g.Cfg, meta); err != nil {
		return fmt.Errorf("saving flow checkpoint: %w", err)
	}
	return nil
}

// Load builds the network described by the config stored in the checkpoint
// at path and loads its weights; its ActNorm layers count as initialised
// when they were at saving time. It returns the network and the
// checkpoint's metadata.
func Load(path string) (*Glow, map[string]string, error) {
	_, meta, err := nn.ReadSafetensors(path)
	if err != nil {
		return nil, nil, err
	}
	if meta["format"] != Format {
		return nil, nil, fmt.Errorf("reading %s: not a flow checkpoint (format %q)", path, meta["format"])
	}
	cfg, err := ParseConfig([]byte(meta["config"]), path)
	if err != nil {
		return nil, nil, err
	}
	g, err := New(*cfg, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if err := g.LoadWeights(path); err != nil {
		return nil, nil, err
	}
	return g, meta, nil
}

// LoadWeights reads the weights of a checkpoint of the same architecture
// into g and marks the ActNorm layers initialised. It returns an error
// wrapping nn.ErrMismatch if the tensors differ; g is unchanged on error.
func (g *Glow) LoadWeights(path string) error {
	meta, err := nn.LoadModel(path, g.Arena, nil)
	if err != nil {
		return err
	}
	g.SetInitialized(meta["actnorm_initialized"] != "false")
	return nil
}
