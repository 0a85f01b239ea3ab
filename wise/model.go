package wise

import (
	"encoding/json"
	"fmt"

	"genfwi/internal/rundir"
	"genfwi/models/flow"
)

// ModelFile is the final network of a run (and of every checkpoint
// directory); the run directory's layout is rundir's.
const ModelFile = rundir.ModelFile

// Checkpoint metadata keys written next to the network weights.
const (
	metaConfig = "wise_config"
	metaData   = "data_info"
	metaStep   = "step"
	metaEpoch  = "epoch"
)

// Model is a trained WISE network with what it was trained on.
type Model struct {
	// Net is the network, summary UNet in eval mode.
	Net *flow.Network
	// Config is the training configuration (velocity scale, sampling
	// defaults).
	Config Config
	// Data describes the training pairs (grid, offsets, gather scale).
	Data DataInfo
	// Path is the checkpoint file the model was read from.
	Path string
	// Step is the training step of the weights.
	Step int
}

// LatestCheckpoint returns the model file of the latest complete checkpoint
// in a run directory and its step, or an error wrapping fs.ErrNotExist.
func LatestCheckpoint(dir string) (string, int, error) { return rundir.Latest(dir) }

// ModelPath resolves a model argument: a .safetensors file as is, a run
// directory to its final model.safetensors, or failing that to its latest
// checkpoint.
func ModelPath(arg string) (string, error) { return rundir.ModelPath(arg, "a WISE") }

// LoadModel reads a trained WISE network from a run directory or a
// checkpoint file (see ModelPath).
func LoadModel(arg string) (*Model, error) {
	path, err := ModelPath(arg)
	if err != nil {
		return nil, err
	}
	net, meta, err := flow.LoadNetwork(path)
	if err != nil {
		return nil, err
	}
	m := &Model{Net: net, Path: path}
	if err := json.Unmarshal([]byte(meta[metaConfig]), &m.Config); err != nil {
		return nil, fmt.Errorf("reading %s: no WISE training configuration (%s): %w", path, metaConfig, err)
	}
	if err := json.Unmarshal([]byte(meta[metaData]), &m.Data); err != nil {
		return nil, fmt.Errorf("reading %s: no data description (%s): %w", path, metaData, err)
	}
	if err := m.Config.Validate(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if !net.Flow.Initialized() {
		return nil, fmt.Errorf("reading %s: the network was saved before its first training step (ActNorm not initialised)", path)
	}
	fmt.Sscan(meta[metaStep], &m.Step)
	net.Summary.Training = false
	return m, nil
}
