package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestExitStatus: 0 success, 1 failure, 2 usage, 130 interrupted — the
// statuses every genfwi command returns through Program.Run.
func TestExitStatus(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		ctx  context.Context
		err  error
		code int
		msg  string
	}{
		{context.Background(), nil, 0, ""},
		{context.Background(), errors.New("disk full"), 1, "prog job: disk full"},
		{context.Background(), Usagef("--n must be >= 1"), 2, "prog job: --n must be >= 1"},
		{context.Background(), context.Canceled, 130, "prog job: interrupted"},
		{ctx, errors.New("stopped half way"), 130, "prog job: interrupted"},
	}
	for _, c := range cases {
		p := &Program{Name: "prog", Version: "1", Commands: []*Command{{Name: "job", Flags: func(fs *pflag.FlagSet) RunFunc {
			return func(context.Context, *Env, []string) error { return c.err }
		}}}}
		var out, errb bytes.Buffer
		if code := p.Run(c.ctx, []string{"job"}, &out, &errb); code != c.code || !strings.Contains(errb.String(), c.msg) || out.Len() != 0 {
			t.Errorf("error %v: exit %d, stderr %q, stdout %q; want %d and %q", c.err, code, errb.String(), out.String(), c.code, c.msg)
		}
	}
}

// TestFlagsPerInvocation: each run defines its flags on a fresh set, so a
// value given on one command line does not reach the next.
func TestFlagsPerInvocation(t *testing.T) {
	var seen []int
	p := &Program{Name: "prog", Version: "1", Commands: []*Command{{Name: "job", Flags: func(fs *pflag.FlagSet) RunFunc {
		n := fs.Int("n", 7, "a count")
		return func(context.Context, *Env, []string) error { seen = append(seen, *n); return nil }
	}}}}
	for _, args := range [][]string{{"job", "--n", "3"}, {"job"}, {"job", "-n=5"}, {"job"}} {
		if code := p.Run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
			t.Fatalf("%q: exit %d", args, code)
		}
	}
	if want := []int{3, 7, 5, 7}; !slices.Equal(seen, want) {
		t.Errorf("flag values %v, want %v (the default again after each run that set it)", seen, want)
	}
}

// TestWriteJSON: one compact object on its own line.
func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, map[string]any{"rmse": 0.5, "files": []string{"a", "b"}}); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	var m map[string]any
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") || json.Unmarshal([]byte(s), &m) != nil || m["rmse"] != 0.5 {
		t.Errorf("WriteJSON wrote %q", s)
	}
	if err := WriteJSON(&b, map[string]any{"bad": func() {}}); err == nil {
		t.Error("WriteJSON of a function succeeded")
	}
}

func TestJoinOrAndLevenshtein(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{{nil, ""}, {[]string{"a"}, "a"}, {[]string{"a", "b"}, "a or b"}, {[]string{"a", "b", "c"}, "a, b or c"}} {
		if got := JoinOr(c.in); got != c.want {
			t.Errorf("JoinOr(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "abc", 3}, {"kitten", "sitting", 3}, {"fwi", "fwi", 0}, {"simulat", "simulate", 1}, {"ε", "e", 1}} {
		if d := Levenshtein(c.a, c.b); d != c.d {
			t.Errorf("Levenshtein(%q, %q) = %d, want %d", c.a, c.b, d, c.d)
		}
	}
}

// TestCPUProfile: --cpuprofile on any leaf writes a pprof profile (gzip
// magic) also when the command fails, is listed in the help, and refuses a
// target that is not a regular file.
func TestCPUProfile(t *testing.T) {
	dir := t.TempDir()
	p := &Program{Name: "prog", Version: "1", Commands: []*Command{{Name: "job", Flags: func(fs *pflag.FlagSet) RunFunc {
		fail := fs.Bool("fail", false, "fail")
		return func(context.Context, *Env, []string) error {
			if *fail {
				return errors.New("boom")
			}
			return nil
		}
	}}}}
	for i, args := range [][]string{{"job", "--cpuprofile", "P"}, {"job", "--fail", "-cpuprofile", "P"}} {
		path := filepath.Join(dir, fmt.Sprintf("p%d.prof", i))
		args[len(args)-1] = path
		want := 0
		if i == 1 {
			want = 1
		}
		if code := p.Run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{}); code != want {
			t.Fatalf("%q: exit %d, want %d", args, code, want)
		}
		b, err := os.ReadFile(path)
		if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%q: profile %d bytes (%v), want a gzip-compressed pprof file", args, len(b), err)
		}
	}
	var out, errb bytes.Buffer
	if code := p.Run(context.Background(), []string{"job", "--cpuprofile", dir}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--cpuprofile") {
		t.Errorf("directory as profile: exit %d, stderr %q; want 1 naming --cpuprofile", code, errb.String())
	}
	out.Reset()
	p.Run(context.Background(), []string{"job", "--help"}, &out, &errb)
	if !strings.Contains(out.String(), "--cpuprofile") {
		t.Errorf("help lacks --cpuprofile:\n%s", out.String())
	}
}
