package benchmarks

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestCasesNamedOnce(t *testing.T) {
	seen := map[string]bool{}
	cs := Cases()
	for i, c := range cs {
		if c.Name == "" || c.Short == "" || c.Run == nil || seen[c.Name] {
			t.Errorf("case %d %q: empty field or name used twice", i, c.Name)
		}
		if i > 0 && cs[i-1].Name >= c.Name {
			t.Errorf("cases not sorted: %q before %q", cs[i-1].Name, c.Name)
		}
		seen[c.Name] = true
	}
	for _, want := range []string{"wave-openfwi", "grad-openfwi", "sgemm", "wise-cpu", "wiser-cpu", "vqae-cpu", "invnet-cpu"} {
		if !seen[want] {
			t.Errorf("no case %q", want)
		}
	}
}

func TestOptionsDefaults(t *testing.T) {
	o := &Options{}
	if o.reps(7) != 7 || o.threads() < 1 {
		t.Errorf("defaults: reps %d, threads %d", o.reps(7), o.threads())
	}
	o = &Options{Repeat: 2, Threads: 3}
	if o.reps(7) != 2 || o.threads() != 3 {
		t.Errorf("set: reps %d, threads %d", o.reps(7), o.threads())
	}
}

// TestWaveOpenFWIRuns runs the cheapest real-data case once, without a
// process, and checks its headline figures.
func TestWaveOpenFWIRuns(t *testing.T) {
	root := os.Getenv("GENFWI_OPENFWI")
	if root == "" {
		root = filepath.Join("..", "..", "shared", "data", "openfwi")
	}
	if _, err := os.Stat(filepath.Join(root, "FlatVel_A", "model", "model1.npy")); err != nil {
		t.Skip("no OpenFWI maps:", err)
	}
	if testing.Short() {
		t.Skip("two OpenFWI-size forward simulations")
	}
	var c *Case
	for _, x := range Cases() {
		if x.Name == "wave-openfwi" {
			c = x
		}
	}
	res, err := c.Run(context.Background(), &Options{Repeat: 1, Data: root})
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := res["seconds_per_sample"].(float64); !ok || !(s > 0) {
		t.Errorf("headline %v: want seconds_per_sample > 0", res)
	}
}
