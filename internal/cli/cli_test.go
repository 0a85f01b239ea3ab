package cli

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestParseRangeStrict(t *testing.T) {
	for _, c := range []struct {
		s      string
		lo, hi int
	}{
		{"", 0, 10}, {"2:5", 2, 5}, {":4", 0, 4}, {"7:", 7, 10}, {"3", 3, 4}, {"0:10", 0, 10}, {"09:10", 9, 10},
	} {
		lo, hi, err := ParseRange(c.s, 10)
		if err != nil || lo != c.lo || hi != c.hi {
			t.Errorf("ParseRange(%q, 10) = %d, %d, %v; want %d, %d", c.s, lo, hi, err, c.lo, c.hi)
		}
	}
	for _, s := range []string{"1:3:5", "1abc:3", "0x1:2", "-1:3", "1:-3", "+1:3", " 1:3", "1:3 ", ":", "::", "1::3",
		"a", "1.5:3", "3:3", "4:2", "0:11", "10", "99999999999999999999999:1"} {
		if lo, hi, err := ParseRange(s, 10); err == nil {
			t.Errorf("ParseRange(%q, 10) = %d, %d, nil; want an error", s, lo, hi)
		}
	}
	if _, _, err := ParseRange("", 0); err == nil {
		t.Error("ParseRange(\"\", 0): want an error (nothing to select)")
	}
}

func TestSuggest(t *testing.T) {
	cands := []string{"bench", "dataset", "denoise", "eval", "fwi", "help", "invert", "plot", "sample", "simulate", "train", "version"}
	for in, want := range map[string]string{
		"simulat": "simulate", "simualte": "simulate", "datset": "dataset", "trian": "train", "verison": "version",
		"invrt": "invert", "sim": "simulate", "xyzzy": "", "q": "",
	} {
		if got := Suggest(in, cands); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
	if d := Levenshtein("kitten", "sitting"); d != 3 {
		t.Errorf("Levenshtein(kitten, sitting) = %d, want 3", d)
	}
	if d := Levenshtein("", "abc"); d != 3 {
		t.Errorf("Levenshtein(\"\", abc) = %d, want 3", d)
	}
}

func TestNormalizeArgs(t *testing.T) {
	fs := newFlagSet("x")
	fs.Bool("json", false, "")
	fs.String("samples", "", "")
	fs.Int("n", 0, "")
	fs.String("title", "", "")
	fs.Float64("snr", 0, "")
	addHelpFlag(fs)
	in := []string{"-json", "-samples=0:4", "DIR", "-n", "8", "--title", "-json", "--snr", "-5", "-x", "--", "-json"}
	want := []string{"--json", "--samples=0:4", "DIR", "--n", "8", "--title", "-json", "--snr", "-5", "-x", "--", "-json"}
	got, help := normalizeArgs(fs, in)
	if !slices.Equal(got, want) || help {
		t.Errorf("normalizeArgs(%q) = %q, %v; want %q, false", in, got, help, want)
	}
	for _, h := range [][]string{{"-h"}, {"DIR", "--help"}, {"-help"}} {
		if _, help := normalizeArgs(fs, h); !help {
			t.Errorf("normalizeArgs(%q): help not detected", h)
		}
	}
	if _, help := normalizeArgs(fs, []string{"--title", "-h"}); help {
		t.Error("normalizeArgs: a flag value \"-h\" taken for a help request")
	}
}

// TestProgramDispatch runs a small program with a group, a leaf with
// positional arguments and a leaf with choices.
func TestProgramDispatch(t *testing.T) {
	var got []string
	var gotJSON bool
	leaf := func(name string) *Command {
		return &Command{Name: name, Short: name + " things", UsageLine: "grp " + name + " [--json] ARG...",
			Flags: func(fs *pflag.FlagSet) RunFunc {
				j := fs.Bool("json", false, "JSON output")
				return func(_ context.Context, env *Env, args []string) error {
					got, gotJSON = args, *j
					if len(args) == 0 {
						return Usagef("%s needs an argument", name)
					}
					return nil
				}
			}}
	}
	p := &Program{Name: "prog", Version: "1.2", Summary: "a test program", Commands: []*Command{
		{Name: "grp", Short: "a group", Subcommands: []*Command{leaf("one"), leaf("two")}},
	}}
	runP := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := p.Run(context.Background(), args, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, _, errs := runP("grp", "one", "A", "--json", "B"); code != 0 || !gotJSON || !slices.Equal(got, []string{"A", "B"}) {
		t.Errorf("interspersed: exit %d, args %q, json %v (%s)", code, got, gotJSON, errs)
	}
	if code, _, _ := runP("grp", "two", "A", "-json"); code != 0 || !gotJSON {
		t.Errorf("single-dash long flag: exit %d, json %v", code, gotJSON)
	}
	if code, _, errs := runP("grp", "one"); code != 2 || !strings.Contains(errs, "needs an argument") || !strings.Contains(errs, "usage: prog grp one") {
		t.Errorf("usage error: exit %d, stderr %q", code, errs)
	}
	if code, _, errs := runP("grp", "one", "--nope"); code != 2 || !strings.Contains(errs, "unknown flag: --nope") {
		t.Errorf("unknown flag: exit %d, stderr %q", code, errs)
	}
	if code, _, errs := runP("grp", "tow"); code != 2 || !strings.Contains(errs, `did you mean "two"?`) {
		t.Errorf("misspelt subcommand: exit %d, stderr %q", code, errs)
	}
	if code, _, errs := runP("grp"); code != 2 || !strings.Contains(errs, "needs a subcommand: one or two") {
		t.Errorf("group without subcommand: exit %d, stderr %q", code, errs)
	}
	for _, args := range [][]string{{"-h"}, {"grp", "--help"}, {"grp", "one", "-h"}, {"grp", "one", "A", "--help"}, {"help", "grp", "one"}, {"help", "help"}, {"help", "version"}} {
		code, out, errs := runP(args...)
		if code != 0 || errs != "" || !strings.Contains(out, "EXIT STATUS") || strings.Count(out, "EXIT STATUS") != 1 {
			t.Errorf("prog %q: exit %d, stdout %q, stderr %q; want the help once on stdout", args, code, out, errs)
		}
	}
	if _, out, _ := runP("grp", "-h"); !strings.Contains(out, "one  one things") || !strings.Contains(out, "two  two things") {
		t.Errorf("group help does not list its subcommands: %q", out)
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		if code, out, _ := runP(args...); code != 0 || out != "prog 1.2\n" {
			t.Errorf("prog %q: exit %d, stdout %q", args, code, out)
		}
	}
	if code, _, errs := runP("help", "grp", "three"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("help of an unknown subcommand: exit %d, stderr %q", code, errs)
	}
	if err := CheckChoice("case", "wave-openfw", []string{"sgemm", "wave-openfwi"}); err == nil || !IsUsage(err) || !strings.Contains(err.Error(), `did you mean "wave-openfwi"?`) {
		t.Errorf("CheckChoice: %v", err)
	}
}

// TestRootFlagSuggestion: a misspelt top-level flag gets a suggestion.
func TestRootFlagSuggestion(t *testing.T) {
	p := &Program{Name: "prog", Version: "1", Summary: "s"}
	var out, errb bytes.Buffer
	if code := p.Run(context.Background(), []string{"--versio"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `did you mean "--version"?`) {
		t.Errorf("--versio: exit %d, stderr %q", code, errb.String())
	}
}

func TestNoArgsAndOneArg(t *testing.T) {
	ctx, env := context.Background(), &Env{Stdout: io.Discard, Stderr: io.Discard}
	ran := ""
	none := NoArgs("dataset maps", func(context.Context, *Env) error { ran = "none"; return nil })
	one := OneArg("cig verify", "data set directory", func(_ context.Context, _ *Env, arg string) error { ran = arg; return nil })
	for _, c := range []struct {
		run  RunFunc
		args []string
		err  string // "" = runs
		ran  string
	}{
		{none, nil, "", "none"},
		{none, []string{"x"}, `dataset maps takes no arguments, got ["x"]`, ""},
		{one, []string{"dir"}, "", "dir"},
		{one, nil, "cig verify takes one data set directory, got 0 arguments", ""},
		{one, []string{"a", "b"}, "cig verify takes one data set directory, got 2 arguments", ""},
	} {
		ran = ""
		err := c.run(ctx, env, c.args)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%q: %v", c.args, err)
		case c.err != "" && (err == nil || err.Error() != c.err || !IsUsage(err)):
			t.Errorf("%q: error %v, want usage error %q", c.args, err, c.err)
		case ran != c.ran:
			t.Errorf("%q: ran %q, want %q", c.args, ran, c.ran)
		}
	}
}
