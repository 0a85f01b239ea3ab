package main

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"genfwi/internal/cli"
)

// cliRun runs one genfwi command line in-process.
func cliRun(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// commandPaths returns the path of every command and subcommand of the
// table, plus help and version.
func commandPaths() [][]string {
	paths := [][]string{{}, {"help"}, {"version"}}
	var walk func(prefix []string, c *cli.Command)
	walk = func(prefix []string, c *cli.Command) {
		p := append(slices.Clone(prefix), c.Name)
		paths = append(paths, p)
		for _, s := range c.Subcommands {
			walk(p, s)
		}
	}
	for _, c := range commands() {
		walk(nil, c)
	}
	return paths
}

// TestHelpAtEveryLevel: -h, --help and -help after any command or
// subcommand, and "genfwi help PATH", print the manual once on stdout and
// exit 0.
func TestHelpAtEveryLevel(t *testing.T) {
	for _, path := range commandPaths() {
		want := "usage: genfwi " + strings.Join(path, " ")
		if len(path) == 0 {
			want = "Usage:\n  genfwi <command>"
		}
		lines := [][]string{
			append(slices.Clone(path), "-h"),
			append(slices.Clone(path), "--help"),
			append(slices.Clone(path), "-help"),
			append([]string{"help"}, path...),
		}
		for _, args := range lines {
			code, out, errs := cliRun(args...)
			if code != 0 || errs != "" || strings.Count(out, "EXIT STATUS") != 1 || !strings.Contains(out, want) {
				t.Errorf("genfwi %s: exit %d, stderr %q, stdout %q\nwant exit 0 and %q once on stdout", strings.Join(args, " "), code, errs, out, want)
			}
		}
	}
}

func TestVersionAndSuggestions(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		if code, out, _ := cliRun(args...); code != 0 || out != "genfwi "+version+"\n" {
			t.Errorf("genfwi %s: exit %d, stdout %q", strings.Join(args, " "), code, out)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"simulat"}, `did you mean "simulate"?`},
		{[]string{"dataset", "verfy", "x"}, `did you mean "verify"?`},
		{[]string{"train", "vqea"}, `did you mean "vqae"?`},
		{[]string{"eval", "pde-devation"}, `did you mean "pde-deviation"?`},
		{[]string{"bench", "wave-openfw"}, `did you mean "wave-openfwi"?`},
		{[]string{"help", "simulat"}, `did you mean "simulate"?`},
	} {
		if code, _, errs := cliRun(c.args...); code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("genfwi %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(c.args, " "), code, errs, c.want)
		}
	}
}

// TestSubcommandListsAgree: a group's "needs a subcommand" message, its
// synopsis and its help list the same subcommands, those of the table.
func TestSubcommandListsAgree(t *testing.T) {
	for _, c := range commands() {
		if len(c.Subcommands) == 0 {
			continue
		}
		names := c.SubcommandNames()
		code, _, errs := cliRun(c.Name)
		if code != 2 || !strings.Contains(errs, "needs a subcommand: "+cli.JoinOr(names)) || !strings.Contains(errs, strings.Join(names, "|")) {
			t.Errorf("genfwi %s: exit %d, stderr %q; want the subcommands %v", c.Name, code, errs, names)
		}
		_, out, _ := cliRun(c.Name, "--help")
		for _, n := range names {
			if !strings.Contains(out, "\n  "+n+" ") {
				t.Errorf("genfwi %s --help does not list %q:\n%s", c.Name, n, out)
			}
		}
	}
	// The bench cases: --list, the help and the error message agree.
	_, list, _ := cliRun("bench", "--list")
	_, help, _ := cliRun("bench", "--help")
	_, _, errs := cliRun("bench")
	for _, n := range benchNames(benchTable()) {
		if !strings.Contains(list, n) || !strings.Contains(help, "\n  "+n+" ") || !strings.Contains(errs, n) {
			t.Errorf("bench case %q missing from --list, --help or the usage error", n)
		}
	}
}

// TestFlagsAnywhere: flags after positional arguments and Go-style
// single-dash long flags work for commands and subcommands.
func TestFlagsAnywhere(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := cliRun("dataset", "build", "--source", "gen", "--datasets", "flatfault-a", "--files", "1", "--per-file", "1", "--out", dir); code != 0 {
		t.Fatalf("dataset build: exit %d\n%s", code, errs)
	}
	for _, args := range [][]string{
		{"dataset", "verify", dir, "--json"},
		{"dataset", "verify", "-json", dir},
		{"dataset", "verify", dir, "-json=true"},
	} {
		code, out, errs := cliRun(args...)
		var v struct {
			OK bool `json:"ok"`
		}
		if code != 0 {
			t.Errorf("genfwi %s: exit %d\n%s", strings.Join(args, " "), code, errs)
			continue
		}
		lastJSON(t, out, &v)
		if !v.OK {
			t.Errorf("genfwi %s: %s", strings.Join(args, " "), out)
		}
	}
	model := filepath.Join(dir, "m.npy")
	v := make([]float32, 70*70)
	for i := range v {
		v[i] = 2000
	}
	writeNPY(t, model, []int{1, 1, 70, 70}, v)
	code, out, errs := cliRun("simulate", "-model", model, "-samples", "0:1", "-json")
	if code != 0 {
		t.Fatalf("single-dash simulate: exit %d\n%s", code, errs)
	}
	var res map[string]any
	lastJSON(t, out, &res)
	if res["samples"] != 1.0 {
		t.Errorf("single-dash simulate: %v", res)
	}
	// A stray argument after the flags is still an error, not ignored.
	if code, _, errs := cliRun("simulate", "--model", model, "extra"); code != 2 || !strings.Contains(errs, "extra") {
		t.Errorf("stray argument: exit %d, stderr %q", code, errs)
	}
}
