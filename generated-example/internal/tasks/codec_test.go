package tasks

import (
	"testing"
	"time"
)

func TestSnapshotBinary(t *testing.T) {
	want := Snapshot{
		Tasks: []Task{
			{ID: 1, Title: "Buy <milk>", UpdatedAt: time.Unix(1_800_000_000, 123456789)},
			{ID: 1 << 40, Title: "", UpdatedAt: time.Unix(-5, 0)},
		},
		Source:   "PostgreSQL",
		LoadedAt: time.Unix(1_800_000_001, 42),
	}
	data, err := want.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got Snapshot
	if err := got.UnmarshalBinary(data); err != nil {
		t.Fatalf("UnmarshalBinary: %v", err)
	}
	if len(got.Tasks) != 2 || got.Source != want.Source || !got.LoadedAt.Equal(want.LoadedAt) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want.Tasks {
		g, w := got.Tasks[i], want.Tasks[i]
		if g.ID != w.ID || g.Title != w.Title || !g.UpdatedAt.Equal(w.UpdatedAt) {
			t.Errorf("task %d: got %+v, want %+v", i, g, w)
		}
	}
	for _, bad := range [][]byte{nil, data[:len(data)-1], append(append([]byte(nil), data...), 0), {0xff, 0xff, 0xff, 0xff, 0x0f}, []byte(`{"tasks":[]}`)} {
		if err := new(Snapshot).UnmarshalBinary(bad); err == nil {
			t.Errorf("UnmarshalBinary(%q) succeeded, want an error", bad)
		}
	}
}
