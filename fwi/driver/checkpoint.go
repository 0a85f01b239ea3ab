package driver

import (
	"encoding/json"
	"fmt"
	"os"

	"genfwi/fwi"
	"genfwi/internal/atomicfile"
	"genfwi/npy"
	"genfwi/wave"
)

// checkpointKey identifies a run; a checkpoint resumes only a run with the
// same key. Its fields keep the names of the first checkpoints genfwi wrote,
// so that those still resume.
type checkpointKey struct {
	Data, Model, Init, Freqs, Method, Param string
	Iters, Sample, WaterRows, ShotsPerEval  int
	Step, DepthPower, Smooth, Tikhonov, TV  float64
	SNR                                     string
	Seed                                    uint64
	VMin, VMax, VTop, VBottom               float64
	FilterOrder                             int
}

// checkpoint is one sample's resumable state: checkpoint.json holds the key,
// the fwi.State and the number of band snapshots, checkpoint.npy the current
// model followed by the snapshots (they survive resumes for the figures).
type checkpoint struct {
	Key       checkpointKey
	State     *fwi.State
	Snapshots [][]float32
}

// checkpointJSON is the layout of checkpoint.json.
type checkpointJSON struct {
	Key       checkpointKey `json:"key"`
	State     *fwi.State    `json:"state"`
	Snapshots int           `json:"snapshots"`
}

// save writes the model array first and the JSON last, so that a JSON on
// disk always describes a complete array.
func (ck *checkpoint) save(jsonPath, npyPath string) error {
	const n = wave.OpenFWIModel
	all := append([]float32(nil), ck.State.Model...)
	for _, s := range ck.Snapshots {
		all = append(all, s...)
	}
	if err := npy.WriteFileFloat32(npyPath, npy.Float32, []int{1 + len(ck.Snapshots), n}, all); err != nil {
		return err
	}
	b, err := json.Marshal(checkpointJSON{ck.Key, ck.State, len(ck.Snapshots)})
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(jsonPath, b)
}

// loadCheckpoint reads a checkpoint; a missing JSON is os.ErrNotExist.
func loadCheckpoint(jsonPath, npyPath string) (*checkpoint, error) {
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		return nil, err
	}
	var raw checkpointJSON
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", jsonPath, err)
	}
	data, shape, err := npy.ReadFileFloat32(npyPath)
	if err != nil {
		return nil, err
	}
	const n = wave.OpenFWIModel
	if raw.State == nil || len(shape) != 2 || shape[1] != n || shape[0] != 1+raw.Snapshots {
		return nil, fmt.Errorf("%s and %s do not match (shape %v, %d snapshots)", jsonPath, npyPath, shape, raw.Snapshots)
	}
	ck := &checkpoint{Key: raw.Key, State: raw.State}
	ck.State.Model = append([]float32(nil), data[:n]...)
	for i := range raw.Snapshots {
		ck.Snapshots = append(ck.Snapshots, append([]float32(nil), data[(1+i)*n:(2+i)*n]...))
	}
	return ck, nil
}
