package generate_test

import (
	"fmt"
	"strings"
	"testing"
)

// diffContext is the number of unchanged lines shown around each change,
// as diff -u shows them.
const diffContext = 3

// maxDiffLines caps the diff printed for one file: past it, a stale file
// is better read with git diff than in a test log.
const maxDiffLines = 80

// unifiedDiff returns the changes from a to b in unified format, with
// headers naming them aName and bName, or "" when they are equal. Output
// longer than maxLines lines is cut, with a line saying how much was left
// off. Lines are compared whole; a last line without a newline is marked
// as diff marks it.
func unifiedDiff(aName, bName string, a, b []byte, maxLines int) string {
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

func TestUnifiedDiff(t *testing.T) {
	lines := func(n int) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "%d\n", i)
		}
		return b.String()
	}
	tests := []struct {
		name, a, b string
		max        int
		want       string
	}{
		{name: "equal", a: "x\ny\n", b: "x\ny\n", want: ""},
		{
			name: "one line changed in the middle",
			a:    lines(10),
			b:    strings.Replace(lines(10), "5\n", "five\n", 1),
			want: "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n",
		},
		{
			name: "line added at the start",
			a:    "x\ny\n",
			b:    "new\nx\ny\n",
			want: "--- a\n+++ b\n@@ -1,2 +1,3 @@\n+new\n x\n y\n",
		},
		{
			name: "lines deleted at the end",
			a:    lines(6),
			b:    lines(4),
			want: "--- a\n+++ b\n@@ -2,5 +2,3 @@\n 2\n 3\n 4\n-5\n-6\n",
		},
		{
			name: "empty file gets content",
			a:    "",
			b:    "x\n",
			want: "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n",
		},
		{
			name: "newline added at the end",
			a:    "x\ny",
			b:    "x\ny\n",
			want: "--- a\n+++ b\n@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+y\n",
		},
		{
			name: "distant changes are two hunks",
			a:    lines(20),
			b:    strings.Replace(strings.Replace(lines(20), "2\n", "two\n", 1), "19\n", "nineteen\n", 1),
			want: "--- a\n+++ b\n@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n" +
				"@@ -16,5 +16,5 @@\n 16\n 17\n 18\n-19\n+nineteen\n 20\n",
		},
		{
			name: "changes with touching context are one hunk",
			a:    lines(12),
			b:    strings.Replace(strings.Replace(lines(12), "3\n", "three\n", 1), "9\n", "nine\n", 1),
			want: "--- a\n+++ b\n@@ -1,12 +1,12 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n 7\n 8\n-9\n+nine\n 10\n 11\n 12\n",
		},
		{
			name: "a line moved keeps the longest common part",
			a:    "a\nb\nc\nd\n",
			b:    "b\nc\nd\na\n",
			want: "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-a\n b\n c\n d\n+a\n",
		},
		{
			name: "long diffs are cut",
			a:    lines(3),
			b:    "x\ny\nz\n",
			max:  5,
			want: "--- a\n+++ b\n@@ -1,3 +1,3 @@\n-1\n-2\n... 4 more diff lines\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			max := tt.max
			if max == 0 {
				max = maxDiffLines
			}
			if got := unifiedDiff("a", "b", []byte(tt.a), []byte(tt.b), max); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
