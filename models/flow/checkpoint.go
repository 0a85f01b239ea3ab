package flow

import (
	"fmt"
	"math/rand/v2"

	"genfwi/nn"
)

// Format is the checkpoint metadata "format" value of flow networks.
const Format = "genfwi-flow"

// Weights returns the parameter arena; the flow has no buffers (ActNorm's
// initialisation flag travels as metadata).
func (g *Glow) Weights() (*nn.Arena, []*nn.Buffer) { return g.Arena, nil }

// Save writes the weights to path as safetensors (nn.SaveModel: one F32
// tensor per parameter under its name, e.g. "level1.step2.coupling.rb.w1")
// with the Config as JSON under metadata "config", "format" = Format,
// "actnorm_initialized" and the extra metadata. Atomic.
func (g *Glow) Save(path string, extra map[string]string) error {
	meta := map[string]string{"actnorm_initialized": fmt.Sprint(g.Initialized())}
	return nn.SaveCheckpoint(path, Format, g, g.Cfg, meta, extra)
}

// Load builds the network described by the config stored in the checkpoint
// at path and loads its weights; its ActNorm layers count as initialised
// when they were at saving time. It returns the network and the
// checkpoint's metadata.
func Load(path string) (*Glow, map[string]string, error) {
	// The weights are overwritten: any rng will do.
	g, meta, err := nn.LoadCheckpoint(path, Format, "a flow", ParseConfig, func(c Config) (*Glow, error) {
		return New(c, rand.New(rand.NewPCG(0, 0)))
	})
	if err != nil {
		return nil, nil, err
	}
	g.SetInitialized(actNormInitialized(meta))
	return g, meta, nil
}

// actNormInitialized reads "actnorm_initialized"; checkpoints without it
// predate the flag and were saved after training, hence initialised.
func actNormInitialized(meta map[string]string) bool { return meta["actnorm_initialized"] != "false" }

// LoadWeights reads the weights of a checkpoint of the same architecture
// into g and marks the ActNorm layers initialised. It returns an error
// wrapping nn.ErrMismatch if the tensors differ; g is unchanged on error.
func (g *Glow) LoadWeights(path string) error {
	meta, err := nn.LoadModel(path, g.Arena, nil)
	if err != nil {
		return err
	}
	g.SetInitialized(actNormInitialized(meta))
	return nil
}
