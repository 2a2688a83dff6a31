package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/echocache/scaffold/generated-example/internal/memcachedtest"
	"github.com/echocache/scaffold/generated-example/internal/pgtest"
	"github.com/echocache/scaffold/generated-example/internal/testlog"
)

// TestTasksWithMemcached runs the app on a real memcached: the task list
// is a cached view there. Then memcached dies, and pages are still served,
// with changes showing at once.
func TestTasksWithMemcached(t *testing.T) {
	srv := memcachedtest.Start(t)
	base, shutdown := startApp(t, map[string]string{"MEMCACHIER_SERVERS": srv.Addr})
	if body, xcache := get(t, base+"/"); xcache != "MISS" || !strings.Contains(body, "Cache: memcached") {
		t.Errorf("first view: X-Cache %q, body:\n%s", xcache, body)
	}
	if _, xcache := get(t, base+"/"); xcache != "HIT" {
		t.Errorf("second view: X-Cache %q, want HIT", xcache)
	}
	addTask(t, base, "written while memcached is up")

	srv.Stop()
	addTask(t, base, "written while memcached is down")
	for i := 0; i < 10; i++ {
		body, _ := get(t, base+"/")
		for _, want := range []string{"written while memcached is up", "written while memcached is down"} {
			if !strings.Contains(body, want) {
				t.Fatalf("with memcached down, the page lacks %q:\n%s", want, body)
			}
		}
	}
	if err := shutdown(); err != nil {
		t.Errorf("run returned %v after shutdown, want nil", err)
	}
}

// TestTasksWithMemcachedDownAtStartup: a server that is down when the app
// starts is logged, not fatal.
func TestTasksWithMemcachedDownAtStartup(t *testing.T) {
	srv := memcachedtest.Start(t)
	srv.Stop()
	base, shutdown := startApp(t, map[string]string{"MEMCACHIER_SERVERS": srv.Addr})
	addTask(t, base, "no cache")
	if body, _ := get(t, base+"/"); !strings.Contains(body, "no cache") {
		t.Errorf("home page:\n%s", body)
	}
	if err := shutdown(); err != nil {
		t.Errorf("run returned %v after shutdown, want nil", err)
	}
}

// addTask posts the add form and follows the redirect.
func addTask(t *testing.T, base, title string) {
	t.Helper()
	resp, err := http.PostForm(base+"/tasks", url.Values{"title": {title}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/" {
		t.Fatalf("add %q: ended at %s with status %d", title, resp.Request.URL, resp.StatusCode)
	}
}

// TestTwoInstances runs two instances of the app, as two dynos, on one
// memcached and one PostgreSQL: without a near cache, a change made
// through either shows on both at once.
func TestTwoInstances(t *testing.T) {
	mc := memcachedtest.Start(t)
	env := map[string]string{
		"MEMCACHIER_SERVERS": mc.Addr,
		"DATABASE_URL":       migratedDatabase(t),
		"NEAR_CACHE_TTL":     "0",
	}
	a, shutdownA := startApp(t, env)
	b, shutdownB := startApp(t, env)
	for _, base := range []string{a, b} {
		if body, _ := get(t, base+"/"); !strings.Contains(body, "No tasks yet.") {
			t.Fatalf("%s: the list is not empty:\n%s", base, body)
		}
	}

	addTask(t, a, "added on A")
	body, _ := get(t, b+"/")
	if !strings.Contains(body, "added on A") {
		t.Fatalf("B does not show the task added on A:\n%s", body)
	}
	get(t, a+"/") // both pages and the fragment are now cached
	deleteTask(t, b, taskID(t, body, "added on A"))
	if body, _ := get(t, a+"/"); strings.Contains(body, "added on A") {
		t.Errorf("A still shows the task deleted on B:\n%s", body)
	}
	addTask(t, b, "added on B")
	if body, _ := get(t, a+"/"); !strings.Contains(body, "added on B") || strings.Contains(body, "added on A") {
		t.Errorf("A's page after changes on B:\n%s", body)
	}

	for _, shutdown := range []func() error{shutdownA, shutdownB} {
		if err := shutdown(); err != nil {
			t.Errorf("run returned %v after shutdown, want nil", err)
		}
	}
}

// TestTwoInstancesNearCache runs two instances with the default near
// cache: the instance that made a change shows it on the very next
// request, and the other within the near-cache TTL (1s; polled up to
// 1.5s).
func TestTwoInstancesNearCache(t *testing.T) {
	mc := memcachedtest.Start(t)
	env := map[string]string{
		"MEMCACHIER_SERVERS": mc.Addr,
		"DATABASE_URL":       migratedDatabase(t),
	}
	a, shutdownA := startApp(t, env)
	b, shutdownB := startApp(t, env)
	for _, base := range []string{a, b} {
		get(t, base+"/")
		if _, xcache := get(t, base+"/"); xcache != "HIT" {
			t.Fatalf("%s: second view X-Cache %q, want HIT", base, xcache)
		}
	}

	addTask(t, a, "added on A")
	if body, _ := get(t, a+"/"); !strings.Contains(body, "added on A") {
		t.Errorf("A's next page lacks the task added on A:\n%s", body)
	}
	body := eventuallyShows(t, b, "added on A", true)
	deleteTask(t, b, taskID(t, body, "added on A"))
	if body, _ := get(t, b+"/"); strings.Contains(body, "added on A") {
		t.Errorf("B's next page still shows the task deleted on B:\n%s", body)
	}
	eventuallyShows(t, a, "added on A", false)

	for _, shutdown := range []func() error{shutdownA, shutdownB} {
		if err := shutdown(); err != nil {
			t.Errorf("run returned %v after shutdown, want nil", err)
		}
	}
}

// eventuallyShows polls base's home page until it shows (or no longer
// shows) text, failing after 1.5s: the near-cache TTL and some slack.
func eventuallyShows(t *testing.T, base, text string, shows bool) string {
	t.Helper()
	deadline := time.Now().Add(1500 * time.Millisecond)
	for {
		body, _ := get(t, base+"/")
		if strings.Contains(body, text) == shows {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: after 1.5s the page shows %q: %v, want %v:\n%s", base, text, !shows, shows, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRestartWithInMemoryTasks: a new process on the same memcached hands
// out new IDs, so its tasks never show a cached row of the previous
// process's tasks.
func TestRestartWithInMemoryTasks(t *testing.T) {
	mc := memcachedtest.Start(t)
	env := map[string]string{"MEMCACHIER_SERVERS": mc.Addr}
	first, shutdown := startApp(t, env)
	addTask(t, first, "from the first process")
	get(t, first+"/")
	if err := shutdown(); err != nil {
		t.Fatal(err)
	}

	second, shutdown := startApp(t, env)
	addTask(t, second, "from the second process")
	body, _ := get(t, second+"/")
	if !strings.Contains(body, "from the second process") || strings.Contains(body, "from the first process") {
		t.Errorf("the page does not show exactly the second process's task:\n%s", body)
	}
	if err := shutdown(); err != nil {
		t.Errorf("run returned %v after shutdown, want nil", err)
	}
}

// TestRunWithPostgresDown: with PostgreSQL down, the cached page is still
// served, a change gets a plain 503 that is logged once and loses
// nothing, and the app works again when PostgreSQL is back.
func TestRunWithPostgresDown(t *testing.T) {
	pg := pgtest.Start(t)
	dbURL := pg.CreateDatabase(t)
	if err := dispatch(context.Background(), []string{"migrate"}, func(k string) string {
		return map[string]string{"DATABASE_URL": dbURL}[k]
	}, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	var logs testlog.Buffer
	base, shutdown := startAppLogging(t, map[string]string{"DATABASE_URL": dbURL}, &logs)
	addTask(t, base, "stored before")
	get(t, base+"/")

	pg.Stop()
	if body, xcache := get(t, base+"/"); xcache != "HIT" || !strings.Contains(body, "stored before") {
		t.Errorf("with PostgreSQL down, the cached page: X-Cache %q, body:\n%s", xcache, body)
	}
	client := &http.Client{Timeout: 15 * time.Second}
	resp, err := client.PostForm(base+"/tasks", url.Values{"title": {"lost"}})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || strings.TrimSpace(string(data)) != "Service Unavailable" {
		t.Errorf("add with PostgreSQL down: got %d %q, want 503 Service Unavailable", resp.StatusCode, data)
	}
	if n := strings.Count(logs.String(), "status=503"); n != 1 {
		t.Errorf("the failed request was logged %d times, want once:\n%s", n, logs.String())
	}

	pg.Restart(t)
	addTask(t, base, "stored after")
	body, _ := get(t, base+"/")
	if !strings.Contains(body, "stored before") || !strings.Contains(body, "stored after") || strings.Contains(body, "lost") {
		t.Errorf("after PostgreSQL came back, the page:\n%s", body)
	}
	if err := shutdown(); err != nil {
		t.Errorf("run returned %v after shutdown, want nil", err)
	}
}

var deleteAction = regexp.MustCompile(`action="/tasks/(\d+)/delete"`)

// taskID returns the ID of the task with the given title on a page.
func taskID(t *testing.T, page, title string) string {
	t.Helper()
	for _, row := range strings.Split(page, "<li>")[1:] {
		if m := deleteAction.FindStringSubmatch(row); m != nil && strings.Contains(row, ">"+title+"<") {
			return m[1]
		}
	}
	t.Fatalf("no task %q on the page:\n%s", title, page)
	return ""
}

// deleteTask posts a task's delete form and follows the redirect.
func deleteTask(t *testing.T, base, id string) {
	t.Helper()
	resp, err := http.PostForm(base+"/tasks/"+id+"/delete", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/" {
		t.Fatalf("delete %s: ended at %s with status %d", id, resp.Request.URL, resp.StatusCode)
	}
}

// TestStaleWhilePostgresIsDown: with PostgreSQL stopped past the page's
// fresh lifetime, the home page is still served, with the last list,
// marked X-Cache: STALE, until the grace window ends; then requests get
// 503 as they would without a cache; and once PostgreSQL is back, pages
// are fresh again.
func TestStaleWhilePostgresIsDown(t *testing.T) {
	pg := pgtest.Start(t)
	dbURL := pg.CreateDatabase(t)
	if err := dispatch(context.Background(), []string{"migrate"}, func(k string) string {
		return map[string]string{"DATABASE_URL": dbURL}[k]
	}, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	mc := memcachedtest.Start(t)
	var logs testlog.Buffer
	base, shutdown := startAppLogging(t, map[string]string{
		"DATABASE_URL":          dbURL,
		"MEMCACHIER_SERVERS":    mc.Addr,
		"NEAR_CACHE_TTL":        "0",
		"CACHE_DEFAULT_TIMEOUT": "1",
		"CACHE_STALE_TIMEOUT":   "0",
		"CACHE_GRACE_TIMEOUT":   "3",
	}, &logs)
	addTask(t, base, "the last list")
	get(t, base+"/")

	pg.Stop()
	page := func() (int, string, string) {
		resp, err := http.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("X-Cache"), string(data)
	}
	eventually := func(what string, cond func(status int, xcache, body string) bool) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			status, xcache, body := page()
			if cond(status, xcache, body) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 15s; the last answer: %d, X-Cache %q:\n%s", what, status, xcache, body)
			}
		}
	}
	eventually("the stale page past the fresh lifetime", func(status int, xcache, body string) bool {
		return status == http.StatusOK && xcache == "STALE" && strings.Contains(body, "the last list")
	})
	eventually("503 past the grace window", func(status int, _, _ string) bool {
		return status == http.StatusServiceUnavailable
	})
	if n := strings.Count(logs.String(), "serving stale entries"); n == 0 {
		t.Errorf("the stale answers were not logged:\n%s", logs.String())
	}

	pg.Restart(t)
	eventually("a fresh page once PostgreSQL is back", func(status int, xcache, body string) bool {
		return status == http.StatusOK && xcache != "STALE" && strings.Contains(body, "the last list")
	})
	if err := shutdown(); err != nil {
		t.Errorf("run returned %v after shutdown, want nil", err)
	}
}
