package cli

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseRange parses a half-open sample range "A:B" against a total count n,
// strictly: A and B are unsigned decimal integers; either side may be left
// empty (":B" means 0:B, "A:" means A:n) but not both; a single integer "K"
// means K:K+1; the empty string means 0:n. Anything else ("1:3:5", "1abc:3",
// "0x1:2", "-1:3", "+1:3", " 1:3", ":") is an error, as is a range that is
// empty or reaches outside 0:n. Callers name the flag in the usage error.
func ParseRange(s string, n int) (lo, hi int, err error) {
	if s == "" {
		if n <= 0 {
			return 0, 0, fmt.Errorf("nothing to select: there are no samples")
		}
		return 0, n, nil
	}
	a, b, found := strings.Cut(s, ":")
	if strings.Contains(b, ":") {
		return 0, 0, fmt.Errorf("range %q has more than one ':' (want A:B)", s)
	}
	if found && a == "" && b == "" {
		return 0, 0, fmt.Errorf("range %q names neither end (want A:B, A: or :B)", s)
	}
	parse := func(t string, def int) (int, error) {
		if t == "" {
			return def, nil
		}
		if strings.HasPrefix(t, "-") {
			return 0, fmt.Errorf("range %q: %q is negative", s, t)
		}
		for _, r := range t {
			if r < '0' || r > '9' {
				return 0, fmt.Errorf("range %q: %q is not an unsigned decimal integer", s, t)
			}
		}
		v, err := strconv.Atoi(t)
		if err != nil {
			return 0, fmt.Errorf("range %q: %q is out of range", s, t)
		}
		return v, nil
	}
	if lo, err = parse(a, 0); err != nil {
		return 0, 0, err
	}
	if !found {
		hi = lo + 1
	} else if hi, err = parse(b, n); err != nil {
		return 0, 0, err
	}
	if hi > n || lo >= hi {
		return 0, 0, fmt.Errorf("range %q is empty or outside 0:%d", s, n)
	}
	return lo, hi, nil
}
