package textdiff

import (
	"fmt"
	"strings"
	"testing"
)

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
				max = 80
			}
			if got := Unified("a", "b", []byte(tt.a), []byte(tt.b), max); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
