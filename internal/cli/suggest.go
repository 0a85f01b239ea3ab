package cli

import (
	"fmt"
	"strings"
)

// Suggest returns the candidate nearest to s (a misspelt command or value),
// or "" if none is near enough to be a likely typo: a candidate that s is a
// prefix of, else the one with the smallest Levenshtein distance, if that is
// at most max(2, len(s)/3) and smaller than len(s). Ties go to the first
// candidate.
func Suggest(s string, candidates []string) string {
	if s == "" {
		return ""
	}
	for _, c := range candidates {
		if strings.HasPrefix(c, s) && len(s) >= 2 {
			return c
		}
	}
	best, bestD := "", -1
	for _, c := range candidates {
		if d := Levenshtein(s, c); bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || bestD >= len([]rune(s)) || bestD > max(2, len([]rune(s))/3) {
		return ""
	}
	return best
}

// didYouMean returns "; did you mean X?" for the suggestion for s, or "".
func didYouMean(s string, candidates []string) string {
	if m := Suggest(s, candidates); m != "" {
		return fmt.Sprintf("; did you mean %q?", m)
	}
	return ""
}

// Levenshtein returns the edit distance between a and b (insertions,
// deletions and substitutions of runes, each costing 1).
func Levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// JoinOr joins names as "a, b or c" ("a" for one, "" for none).
func JoinOr(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
