package rundir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genfwi/nn"
)

func TestCheckpointPointerAndResolution(t *testing.T) {
	out := t.TempDir()
	if _, _, err := Latest(out); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Latest of an empty directory: %v, want fs.ErrNotExist", err)
	}
	if _, err := ModelPath(out, "a WISE"); err == nil || !strings.Contains(err.Error(), "not a WISE run directory?") {
		t.Fatalf("ModelPath of an empty directory: %v", err)
	}
	if _, err := ModelPath(out, ""); err == nil || !strings.Contains(err.Error(), "no checkpoint: ") {
		t.Fatalf("ModelPath without a kind: %v", err)
	}
	state := &nn.TrainState{Opt: nn.NewAdam()}
	published := 0
	for _, step := range []int{3, 7} {
		err := WriteCheckpoint(out, Checkpoint{Step: step, State: state, History: []float64{1, 2},
			Save:      func(path string) error { return os.WriteFile(path, []byte("weights"), 0o644) },
			Published: func() error { published++; return nil }})
		if err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, PointerFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"step\": 7,\n  \"dir\": \"ckpt-0000007\"\n}\n"; string(b) != want {
		t.Fatalf("pointer %q, want %q", b, want)
	}
	if _, err := os.Stat(filepath.Join(out, "ckpt-0000003")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the superseded checkpoint is still there: %v", err)
	}
	path, step, err := Latest(out)
	if err != nil || step != 7 || path != filepath.Join(out, "ckpt-0000007", ModelFile) || published != 2 {
		t.Fatalf("Latest = %s, %d, %v (published %d)", path, step, err, published)
	}
	if p, err := ModelPath(out, "a WISE"); err != nil || p != path {
		t.Fatalf("ModelPath = %s, %v, want %s", p, err, path)
	}
	var h []float64
	if err := ReadHistory(path, &h, true); err != nil || len(h) != 2 {
		t.Fatalf("ReadHistory = %v, %v", h, err)
	}
	if err := LoadState(path, 6, &nn.TrainState{Opt: nn.NewAdam()}, 0); err == nil || !strings.Contains(err.Error(), "checkpoint.json says 6") {
		t.Fatalf("LoadState at the wrong step: %v", err)
	}
	if err := WriteCheckpoint(out, Checkpoint{Step: 9, Kind: "diffusion", State: state, History: nil,
		Save: func(path string) error { return os.WriteFile(path, nil, 0o644) }}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, PointerFile)); !strings.Contains(string(b), `"kind": "diffusion"`) {
		t.Fatalf("pointer without its kind: %s", b)
	}
	final := filepath.Join(out, ModelFile)
	if err := os.WriteFile(final, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := ModelPath(out, ""); err != nil || p != final {
		t.Fatalf("ModelPath with a final model = %s, %v", p, err)
	}
}

// TestResumeChecksAndFinalModel covers the steps the trainers share around
// a checkpoint: refusing a foreign one, loading state and history, and
// writing the final model only for a run that was not stopped.
func TestResumeChecksAndFinalModel(t *testing.T) {
	meta := map[string]string{"cfg": "A", "data": "D"}
	if err := CheckMeta("p", meta, "cfg", "A", "data", "D"); err != nil {
		t.Fatal(err)
	}
	if err := CheckMeta("p", meta, "cfg", "B", "data", "D"); err == nil || !strings.Contains(err.Error(), "another configuration") {
		t.Fatalf("CheckMeta with another config: %v", err)
	}
	if err := CheckMeta("p", meta, "cfg", "A", "data", "E"); err == nil || !strings.Contains(err.Error(), "other data (D)") {
		t.Fatalf("CheckMeta with other data: %v", err)
	}

	out := t.TempDir()
	type history struct {
		Loss []float64 `json:"loss"`
	}
	state := &nn.TrainState{Opt: nn.NewAdam()}
	if err := WriteCheckpoint(out, Checkpoint{Step: 2, State: state, History: history{Loss: []float64{3, 2}},
		Save: func(path string) error { return os.WriteFile(path, nil, 0o644) }}); err != nil {
		t.Fatal(err)
	}
	path, step, err := Latest(out)
	if err != nil {
		t.Fatal(err)
	}
	var h history
	if err := LoadProgress(path, step, &nn.TrainState{Opt: nn.NewAdam()}, 0, &h, &h.Loss); err != nil || len(h.Loss) != 2 {
		t.Fatalf("LoadProgress = %v, %v", h, err)
	}
	if err := WriteCheckpoint(out, Checkpoint{Step: 3, State: state, History: history{Loss: []float64{3, 2}},
		Save: func(path string) error { return os.WriteFile(path, nil, 0o644) }}); err != nil {
		t.Fatal(err)
	}
	path, step, _ = Latest(out)
	h = history{}
	if err := LoadProgress(path, step, &nn.TrainState{Opt: nn.NewAdam()}, 0, &h, &h.Loss); err == nil || !strings.Contains(err.Error(), "history has 2 steps, checkpoint is at step 3") {
		t.Fatalf("LoadProgress with a short history: %v", err)
	}

	saved := 0
	save := func(path string) error { saved++; return os.WriteFile(path, nil, 0o644) }
	if p, err := SaveFinal(out, true, save); p != "" || err != nil || saved != 0 {
		t.Fatalf("SaveFinal of a stopped run = %q, %v (saved %d)", p, err, saved)
	}
	if p, err := SaveFinal(out, false, save); p != filepath.Join(out, ModelFile) || err != nil || saved != 1 {
		t.Fatalf("SaveFinal = %q, %v (saved %d)", p, err, saved)
	}
	if _, err := SaveFinal(out, false, func(string) error { return fs.ErrPermission }); err == nil ||
		!errors.Is(err, fs.ErrPermission) || !strings.HasPrefix(err.Error(), "writing final model: ") {
		t.Fatalf("SaveFinal with a failing save: %v", err)
	}
}
