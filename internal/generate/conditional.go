package generate

import (
	"fmt"
	"slices"
	"strings"
)

// Conditional joins versions of one text file into one template. There
// is a version per set in sets (as from [Template.Combinations]), and the
// first version must hold every line of the others, in its order. Each
// line that only some versions have is wrapped in the simplest condition
// on the features that holds for exactly the sets whose version has it:
// [[if .Sessions]], [[if and .Demo .Sessions]], [[if or .DB .Sessions]].
//
// scripts/tidy-template.go uses it to write go.mod.tmpl and go.sum.tmpl
// from what "go mod tidy" writes for each combination, so that no one
// keeps a table of which module each combination needs.
func (t Template) Conditional(sets []Set, versions [][]string) (string, error) {
	if len(sets) != len(versions) || len(sets) == 0 {
		return "", fmt.Errorf("conditional: %d sets for %d versions", len(sets), len(versions))
	}
	for i, v := range versions[1:] {
		for _, line := range v {
			if !slices.Contains(versions[0], line) {
				return "", fmt.Errorf("%s has %q, which %s lacks", sets[i+1], line, sets[0])
			}
		}
	}
	var b strings.Builder
	open := ""
	for i, line := range versions[0] {
		has := make([]bool, len(versions))
		every := true
		for j, v := range versions {
			has[j] = slices.Contains(v, line)
			every = every && has[j]
		}
		cond := ""
		if !every {
			if i == 0 {
				return "", fmt.Errorf("the first line %q is not in every version", line)
			}
			var ok bool
			if cond, ok = t.condition(sets, has); !ok {
				return "", fmt.Errorf("no condition on the features holds for exactly the sets that need %q", line)
			}
		}
		if cond != open {
			if open != "" {
				b.WriteString("[[- end]]\n")
			}
			if cond != "" {
				b.WriteString("[[- if " + cond + "]]\n")
			}
			open = cond
		}
		// The markers trim the newline before them, so a line inside a
		// condition keeps the newline that ends the line above it, and
		// the lines between them render exactly when they are wanted.
		b.WriteString(line)
	}
	if open != "" {
		b.WriteString("[[- end]]\n")
	}
	return b.String(), nil
}

// literal is a feature or its negation.
type literal struct {
	feature int
	negated bool
}

// term is a conjunction of literals on distinct features.
type term []literal

func (tm term) holds(t Template, s Set) bool {
	for _, l := range tm {
		if s[t.Features[l.feature].Name] == l.negated {
			return false
		}
	}
	return true
}

// condition returns the simplest template condition that holds for
// exactly the sets[i] where want[i]: one term, or the disjunction of two,
// with the fewest literals, positive before negated and in the order of
// the features; and otherwise the disjunction of the wanted sets
// themselves.
func (t Template) condition(sets []Set, want []bool) (string, bool) {
	matches := func(terms ...term) bool {
		for i, s := range sets {
			holds := false
			for _, tm := range terms {
				holds = holds || tm.holds(t, s)
			}
			if holds != want[i] {
				return false
			}
		}
		return true
	}
	terms := t.terms()
	for _, tm := range terms {
		if matches(tm) {
			return t.spell(tm), true
		}
	}
	for size := 2; size <= 2*len(t.Features); size++ {
		for i, a := range terms {
			for _, b := range terms[i+1:] {
				if len(a)+len(b) == size && matches(a, b) {
					return "or " + t.group(a) + " " + t.group(b), true
				}
			}
		}
	}
	var minterms []term
	for i, s := range sets {
		if !want[i] {
			continue
		}
		var tm term
		for f, feat := range t.Features {
			tm = append(tm, literal{feature: f, negated: !s[feat.Name]})
		}
		minterms = append(minterms, tm)
	}
	if len(minterms) == 0 || !matches(minterms...) {
		return "", false
	}
	out := "or"
	for _, tm := range minterms {
		out += " " + t.group(tm)
	}
	return out, true
}

// terms returns every term, fewest literals first.
func (t Template) terms() []term {
	var all []term
	var walk func(f int, tm term)
	walk = func(f int, tm term) {
		if f == len(t.Features) {
			if len(tm) > 0 {
				all = append(all, slices.Clone(tm))
			}
			return
		}
		walk(f+1, append(tm, literal{feature: f}))
		walk(f+1, append(tm, literal{feature: f, negated: true}))
		walk(f+1, tm)
	}
	walk(0, nil)
	slices.SortStableFunc(all, func(a, b term) int { return len(a) - len(b) })
	return all
}

// spell writes a term as a template pipeline: ".Demo", "not .Demo",
// "and .Demo .Sessions".
func (t Template) spell(tm term) string {
	if len(tm) == 1 {
		return t.spellLiteral(tm[0])
	}
	out := "and"
	for _, l := range tm {
		lit := t.spellLiteral(l)
		if l.negated {
			lit = "(" + lit + ")"
		}
		out += " " + lit
	}
	return out
}

// group is spell, parenthesized unless it is a plain field.
func (t Template) group(tm term) string {
	if len(tm) == 1 && !tm[0].negated {
		return t.spell(tm)
	}
	return "(" + t.spell(tm) + ")"
}

func (t Template) spellLiteral(l literal) string {
	field := "." + t.Features[l.feature].Field
	if l.negated {
		return "not " + field
	}
	return field
}
