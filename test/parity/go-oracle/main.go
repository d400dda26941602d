// Command go-oracle answers, with Go's own regexp and strings.ToLower (what GEM runs),
// what tenantgate must answer for a corpus of access-policy regexes and claim values.
//
// Input on stdin: {"cases":[{"pattern":"...","values":["...",...]},...],"lowercase":[...]}.
// Output on stdout: {"go":"go1.x","unicode":"13.0.0","results":[{"error":"..."}|
// {"groups":[...],"names":[...]},...],"lowercase":[...],"unassigned":[...]}: one result
// per case and, in it, one entry per value: the first capture group of the leftmost match
// (null when there is no match or the group is empty or did not take part, as GEM finds no
// name then) and that group lowercased; each "lowercase" text through strings.ToLower, and
// the code points of those texts that this Go's Unicode tables do not know.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strings"
	"unicode"
)

type corpusCase struct {
	Pattern string   `json:"pattern"`
	Values  []string `json:"values"`
}

type corpus struct {
	Cases     []corpusCase `json:"cases"`
	Lowercase []string     `json:"lowercase"`
}

type result struct {
	Error  *string   `json:"error,omitempty"`
	Groups []*string `json:"groups,omitempty"`
	Names  []*string `json:"names,omitempty"`
}

type answer struct {
	Go         string   `json:"go"`
	Unicode    string   `json:"unicode"`
	Results    []result `json:"results"`
	Lowercase  []string `json:"lowercase"`
	Unassigned []rune   `json:"unassigned"`
}

// assigned reports whether Go's tables give r a general category; unicode.C leaves out
// Cn (unassigned), which is what is asked.
func assigned(r rune) bool {
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C)
}

func answerCase(c corpusCase) result {
	re, err := regexp.Compile(c.Pattern)
	if err != nil {
		message := err.Error()
		return result{Error: &message}
	}
	groups := make([]*string, 0, len(c.Values))
	names := make([]*string, 0, len(c.Values))
	for _, value := range c.Values {
		match := re.FindStringSubmatch(value)
		if len(match) < 2 || match[1] == "" {
			groups = append(groups, nil)
			names = append(names, nil)
			continue
		}
		group := match[1]
		name := strings.ToLower(group)
		groups = append(groups, &group)
		names = append(names, &name)
	}
	return result{Groups: groups, Names: names}
}

func main() {
	var input corpus
	// Go's decoder turns a lone surrogate escape into U+FFFD, as GEM reads a token's claims.
	if err := json.NewDecoder(os.Stdin).Decode(&input); err != nil {
		fmt.Fprintln(os.Stderr, "go-oracle: cannot read the corpus:", err)
		os.Exit(2)
	}
	output := answer{
		Go:         runtime.Version(),
		Unicode:    unicode.Version,
		Results:    make([]result, 0, len(input.Cases)),
		Lowercase:  make([]string, 0, len(input.Lowercase)),
		Unassigned: []rune{},
	}
	for _, c := range input.Cases {
		output.Results = append(output.Results, answerCase(c))
	}
	for _, text := range input.Lowercase {
		output.Lowercase = append(output.Lowercase, strings.ToLower(text))
		for _, r := range text {
			if !assigned(r) {
				output.Unassigned = append(output.Unassigned, r)
			}
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(output); err != nil {
		fmt.Fprintln(os.Stderr, "go-oracle: cannot write the answers:", err)
		os.Exit(2)
	}
}
