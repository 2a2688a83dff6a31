package web

import (
	"context"
	"errors"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/echocache/scaffold/generated-example/internal/cache"
	"github.com/echocache/scaffold/generated-example/internal/tasks"
)

// maxTitle is the longest task title accepted, in characters.
const maxTitle = 200

// tasksTag is the tag of what the task list makes: the page and the
// memoized query. Adding or deleting a task invalidates it, and a row's
// fragment key changes with the row.
const tasksTag = "tasks"

// taskPages are the task list's handlers: the demo of every caching
// layer.
type taskPages struct {
	*Server
	tasks    tasks.Store
	allTasks *cache.Memo[struct{}, tasks.Snapshot]
	// cache and fragments keep what the pages cache from the store in the
	// store's namespace: an instance reading another database, or its own
	// memory, never serves these pages, lists or rows, nor these its.
	cache     *cache.Cache
	fragments *cache.Fragments
}

// ServeTasks makes the home page the task list kept in store, with the
// routes that add and delete tasks. The page is a cached view, the list a
// memoized query and each row a cached fragment; a change invalidates
// exactly what it made stale.
func (s *Server) ServeTasks(store tasks.Store) {
	c := s.cache.Namespace(store.Namespace())
	p := &taskPages{Server: s, tasks: store, cache: c, fragments: s.newFragments(c)}
	s.layers = append(s.layers, cache.LayerMemoize, cache.LayerFragments)
	p.allTasks = cache.MemoizeFor(c, "tasks.all", s.opts.Memoize, p.loadTasks).Tagged(tasksTag)
	s.echo.Match([]string{http.MethodGet, http.MethodHead}, "/", p.handleIndex,
		storeErrors, s.cachedView(c, "index.html", p.pageOptions()))
	s.echo.POST("/tasks", p.handleAddTask, storeErrors)
	s.echo.POST("/tasks/:id/delete", p.handleDeleteTask, storeErrors)
}

// pageOptions are the view cache's options of the list's page.
func (s *taskPages) pageOptions() cache.ViewOptions {
	return cache.ViewOptions{Tags: []string{tasksTag}}
}

// storeErrors answers 503 when a task handler's store is down or too
// slow: the visitor can try again, and pages served from the cache still
// work.
func storeErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if errors.Is(err, tasks.ErrUnavailable) {
			return echo.NewHTTPError(http.StatusServiceUnavailable).WithInternal(err)
		}
		return err
	}
}

// loadTasks is the function behind the memoized "all tasks" query.
func (s *taskPages) loadTasks(ctx context.Context, _ struct{}) (tasks.Snapshot, error) {
	list, err := s.tasks.List(ctx)
	if err != nil {
		return tasks.Snapshot{}, err
	}
	return tasks.Snapshot{Tasks: list, Source: s.tasks.Kind(), LoadedAt: time.Now()}, nil
}

// taskFragmentKey is the key of a task's row, a cached fragment: it
// changes whenever the row could, so a row never shows another task's
// content, and with the row's markup (see Fragments.Key).
func (s *taskPages) taskFragmentKey(t tasks.Task) string {
	// The numbers are formatted on the stack: a page builds a key per row,
	// and only the key itself needs the heap.
	var id, at [20]byte
	return s.fragments.Key("task", string(strconv.AppendInt(id[:0], t.ID, 10)), string(strconv.AppendInt(at[:0], t.UpdatedAt.UnixMicro(), 10)))
}

// taskRows returns the rows of the list (views/partials/task.html), each a
// cached fragment, all fetched in one round trip however long the list is;
// rows that miss are rendered here and stored in the background. They
// come as one piece of HTML, which the page prints with one action.
func (s *taskPages) taskRows(list []tasks.Task) (template.HTML, error) {
	keys := make([]string, len(list))
	for i, t := range list {
		keys[i] = s.taskFragmentKey(t)
	}
	var rows strings.Builder
	err := s.fragments.RenderAll(&rows, keys, func(i int, w io.Writer) error {
		return s.views.partial(w, "task", list[i])
	})
	return template.HTML(rows.String()), err
}

// indexPage is the data of views/index.html.
type indexPage struct {
	Tasks      []tasks.Task
	Rows       template.HTML // one cached fragment per task
	MaxTasks   int
	Source     string // where the tasks were loaded from
	Memoized   bool   // whether the list came from the memoized query's cache
	LoadedAt   string
	RenderedAt string
	CacheKind  string
	ViewKey    string // the memcached key of the cached page; "" with the view layer off
}

// handleIndex shows the task list. The route is a cached view that
// visitors share, logged in or not: what is theirs alone, the header's
// account box and a flash message, is in the layout's holes (see
// view.Personal), filled for each of them on every answer.
func (s *taskPages) handleIndex(c echo.Context) error {
	start := time.Now()
	list, err := s.allTasks.Call(c.Request().Context(), struct{}{})
	if err != nil {
		return err
	}
	rows, err := s.taskRows(list.Tasks)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "index.html", indexPage{
		Tasks:      list.Tasks,
		Rows:       rows,
		MaxTasks:   tasks.MaxTasks,
		Source:     list.Source,
		Memoized:   list.LoadedAt.Before(start),
		LoadedAt:   list.LoadedAt.Format(timeFormat),
		RenderedAt: time.Now().Format(timeFormat),
		CacheKind:  s.cache.Kind(),
		ViewKey:    s.pageKey(s.cache, "index.html", c.Request().URL),
	})
}

func (s *taskPages) handleAddTask(c echo.Context) error {
	if err := parseForm(c); err != nil {
		return err
	}
	title := strings.TrimSpace(c.Request().PostFormValue("title"))
	switch {
	case title == "":
		return s.redirectWithFlash(c, "Give the task a title.")
	case utf8.RuneCountInString(title) > maxTitle:
		return s.redirectWithFlash(c, "That title is too long: "+strconv.Itoa(maxTitle)+" characters at most.")
	case !utf8.ValidString(title) || strings.ContainsRune(title, 0):
		// PostgreSQL's text holds neither, and it is no visitor's fault
		// worth a 500.
		return s.redirectWithFlash(c, "That title has characters that cannot be stored.")
	case strings.ContainsFunc(title, isHidden):
		return s.redirectWithFlash(c, "That title has control or text-direction characters: type it as plain text.")
	}
	switch _, err := s.tasks.Add(c.Request().Context(), title); {
	case errors.Is(err, tasks.ErrFull):
		return s.redirectWithFlash(c, "The list is full: delete a task first.")
	case err != nil:
		return err
	}
	s.tasksChanged(c.Request().Context())
	return s.redirectWithFlash(c, "Task added.")
}

func (s *taskPages) handleDeleteTask(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	task, err := s.tasks.Delete(c.Request().Context(), id)
	switch {
	case errors.Is(err, tasks.ErrNotFound):
		return s.redirectWithFlash(c, "That task was already deleted.")
	case err != nil:
		return err
	}
	// The row's fragment can no longer be shown (its key names this task
	// alone), but it would take cache space until it expired.
	s.fragments.Delete(s.taskFragmentKey(task))
	s.tasksChanged(c.Request().Context())
	return s.redirectWithFlash(c, "Task deleted.")
}

// tasksChanged invalidates what depends on the task list: the memoized
// query and the cached page, which carry its tag. A cache failure is
// counted and logged by the cache; the entries then expire with their
// lifetimes.
func (s *taskPages) tasksChanged(ctx context.Context) {
	s.cache.InvalidateTags(ctx, tasksTag)
}

// redirectWithFlash answers a POST by redirecting to the list (so a reload
// does not post again) with a message for this visitor only.
func (s *taskPages) redirectWithFlash(c echo.Context, msg string) error {
	setFlash(c, msg)
	return c.Redirect(http.StatusSeeOther, "/")
}
