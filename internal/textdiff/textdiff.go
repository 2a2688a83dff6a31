// Package textdiff writes line diffs of text in the unified format that
// diff -u and git diff print.
package textdiff

import (
	"fmt"
	"strings"
)

// diffContext is the number of unchanged lines shown around each change,
// as diff -u shows them.
const diffContext = 3

// Unified returns the changes from a to b in unified format, with
// headers naming them aName and bName, or "" when they are equal. Output
// longer than maxLines lines is cut, with a line saying how much was left
// off. Lines are compared whole; a last line without a newline is marked
// as diff marks it.
func Unified(aName, bName string, a, b []byte, maxLines int) string {
	if string(a) == string(b) {
		return ""
	}
	x, y := splitLines(string(a)), splitLines(string(b))
	edits := lineEdits(x, y)

	out := []string{"--- " + aName, "+++ " + bName}
	for _, h := range hunks(edits) {
		out = append(out, h.header())
		for _, e := range edits[h.start:h.end] {
			out = append(out, string(e.op)+strings.TrimSuffix(e.line, "\n"))
			if !strings.HasSuffix(e.line, "\n") {
				out = append(out, `\ No newline at end of file`)
			}
		}
	}
	if len(out) > maxLines {
		left := len(out) - maxLines
		out = append(out[:maxLines], fmt.Sprintf("... %d more diff lines", left))
	}
	return strings.Join(out, "\n") + "\n"
}

// splitLines splits s after each newline; the last line has none when s
// does not end with one.
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// edit is one line of a diff: kept (' '), deleted from a ('-') or added
// from b ('+'). ai and bi are the line's 0-based index in a and b; for a
// line in only one of them, the other is the index of the next line there.
type edit struct {
	op     byte
	line   string
	ai, bi int
}

// lineEdits turns a into b with as few deleted and added lines as
// possible, from a longest common subsequence. Golden files differ in a
// few places, so the common prefix and suffix are taken out first and the
// quadratic table covers only the changed middle.
func lineEdits(a, b []string) []edit {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]

	// lcs[i][j] is the length of the longest common subsequence of
	// ma[i:] and mb[j:].
	lcs := make([][]int, len(ma)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(mb)+1)
	}
	for i := len(ma) - 1; i >= 0; i-- {
		for j := len(mb) - 1; j >= 0; j-- {
			if ma[i] == mb[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}

	var edits []edit
	for i := 0; i < pre; i++ {
		edits = append(edits, edit{' ', a[i], i, i})
	}
	i, j := 0, 0
	for i < len(ma) || j < len(mb) {
		switch {
		case i < len(ma) && j < len(mb) && ma[i] == mb[j]:
			edits = append(edits, edit{' ', ma[i], pre + i, pre + j})
			i, j = i+1, j+1
		case j == len(mb) || (i < len(ma) && lcs[i+1][j] >= lcs[i][j+1]):
			edits = append(edits, edit{'-', ma[i], pre + i, pre + j})
			i++
		default:
			edits = append(edits, edit{'+', mb[j], pre + i, pre + j})
			j++
		}
	}
	for k := 0; k < suf; k++ {
		edits = append(edits, edit{' ', a[len(a)-suf+k], len(a) - suf + k, len(b) - suf + k})
	}
	return edits
}

// hunk is edits[start:end]: changes with their context.
type hunk struct {
	start, end int
	edits      []edit
}

// hunks groups the changes in edits with diffContext lines of context on
// each side, merging changes whose contexts touch.
func hunks(edits []edit) []hunk {
	var hs []hunk
	for i := 0; i < len(edits); i++ {
		if edits[i].op == ' ' {
			continue
		}
		start := max(i-diffContext, 0)
		if n := len(hs); n > 0 && start <= hs[n-1].end {
			hs[n-1].end = min(i+1+diffContext, len(edits))
			continue
		}
		hs = append(hs, hunk{start: start, end: min(i+1+diffContext, len(edits)), edits: edits})
	}
	return hs
}

// header is the hunk's "@@ -a,n +b,m @@" line. An empty range is numbered
// by the line before it, as diff -u does.
func (h hunk) header() string {
	var na, nb int
	for _, e := range h.edits[h.start:h.end] {
		if e.op != '+' {
			na++
		}
		if e.op != '-' {
			nb++
		}
	}
	first := h.edits[h.start]
	sa, sb := first.ai+1, first.bi+1
	if na == 0 {
		sa--
	}
	if nb == 0 {
		sb--
	}
	return fmt.Sprintf("@@ -%s +%s @@", hunkRange(sa, na), hunkRange(sb, nb))
}

func hunkRange(start, n int) string {
	if n == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}
