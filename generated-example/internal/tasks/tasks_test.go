package tasks

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestMemory(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	a, _ := m.Add(ctx, "milk")
	b, _ := m.Add(ctx, "eggs")
	if a.ID == b.ID {
		t.Fatalf("two tasks share ID %d", a.ID)
	}
	got, _ := m.List(ctx)
	if want := []Task{a, b}; !reflect.DeepEqual(got, want) {
		t.Errorf("List = %v, want %v", got, want)
	}
	got[0].Title = "changed"
	if again, _ := m.List(ctx); again[0].Title != "milk" {
		t.Error("List returned the store's own slice")
	}
	if err := m.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting twice: got %v, want ErrNotFound", err)
	}
	c, _ := m.Add(ctx, "bread")
	if c.ID == a.ID {
		t.Errorf("a deleted task's ID %d was reused", a.ID)
	}
}
