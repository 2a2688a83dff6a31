package web

import (
	"context"
	"encoding/binary"
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

// How long the task list's caching layers keep it. Adding or deleting a
// task invalidates the page and the memoized query at once, and a row's
// fragment key changes with the row, so they can be long.
const (
	viewTTL = 10 * time.Minute
	memoTTL = 10 * time.Minute
)

// taskPages are the task list's handlers: the demo of every caching
// layer.
type taskPages struct {
	*Server
	tasks    tasks.Store
	allTasks *cache.Memo[struct{}, taskList]
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
	p := &taskPages{Server: s, tasks: store, cache: c, fragments: cache.NewFragments(c, fragmentTTL)}
	s.layers = append(s.layers, cache.LayerMemoize, cache.LayerFragments)
	p.allTasks = cache.Memoize(c, "tasks.all", memoTTL, p.loadTasks)
	s.echo.Match([]string{http.MethodGet, http.MethodHead}, "/", p.handleIndex,
		storeErrors, viewCache(c, cache.ViewOptions{TTL: viewTTL, Unless: hasFlash}))
	s.echo.POST("/tasks", p.handleAddTask, storeErrors)
	s.echo.POST("/tasks/:id/delete", p.handleDeleteTask, storeErrors)
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

// taskList is the memoized result of loading every task.
type taskList struct {
	Tasks    []tasks.Task `json:"tasks"`
	Source   string       `json:"source"` // where the tasks were loaded from: "PostgreSQL" or "memory"
	LoadedAt time.Time    `json:"loaded_at"`
}

// MarshalBinary encodes the list for the memoized query's cache: the
// count, then each task's ID, title and update time, then the source and
// load time, as varints and length-prefixed strings, times in Unix
// nanoseconds. Every page past the view cache decodes it, and with JSON
// that was a sixth of such a page's time at 20 tasks.
func (l taskList) MarshalBinary() ([]byte, error) {
	b := binary.AppendUvarint(nil, uint64(len(l.Tasks)))
	for _, t := range l.Tasks {
		b = binary.AppendVarint(b, t.ID)
		b = appendString(b, t.Title)
		b = binary.AppendVarint(b, t.UpdatedAt.UnixNano())
	}
	b = appendString(b, l.Source)
	return binary.AppendVarint(b, l.LoadedAt.UnixNano()), nil
}

// UnmarshalBinary decodes what MarshalBinary encoded. The cache may hold
// anything under the key: whatever does not decode exactly is an error,
// which the memoized query takes as a miss.
func (l *taskList) UnmarshalBinary(data []byte) error {
	r := binaryReader{data: data, text: string(data)}
	n := r.uvarint()
	if n > tasks.MaxTasks {
		return errBadTaskList
	}
	l.Tasks = make([]tasks.Task, n)
	for i := range l.Tasks {
		l.Tasks[i] = tasks.Task{ID: r.varint(), Title: r.string(), UpdatedAt: time.Unix(0, r.varint())}
	}
	l.Source = r.string()
	l.LoadedAt = time.Unix(0, r.varint())
	if r.bad || len(r.data) > 0 {
		return errBadTaskList
	}
	return nil
}

var errBadTaskList = errors.New("bad encoded task list")

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// binaryReader reads what taskList.MarshalBinary wrote, and remembers
// whether anything was missing or malformed. Its strings are slices of
// text, one copy of the whole data, rather than an allocation each.
type binaryReader struct {
	data []byte
	text string // the data, as a string
	bad  bool
}

func (r *binaryReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.data)
	if n <= 0 {
		r.bad, n = true, 0
	}
	r.data = r.data[n:]
	return v
}

func (r *binaryReader) varint() int64 {
	v, n := binary.Varint(r.data)
	if n <= 0 {
		r.bad, n = true, 0
	}
	r.data = r.data[n:]
	return v
}

func (r *binaryReader) string() string {
	n := r.uvarint()
	if n > uint64(len(r.data)) {
		r.bad = true
		return ""
	}
	at := len(r.text) - len(r.data)
	r.data = r.data[n:]
	return r.text[at : at+int(n)]
}

// loadTasks is the function behind the memoized "all tasks" query.
func (s *taskPages) loadTasks(ctx context.Context, _ struct{}) (taskList, error) {
	list, err := s.tasks.List(ctx)
	if err != nil {
		return taskList{}, err
	}
	return taskList{Tasks: list, Source: s.tasks.Kind(), LoadedAt: time.Now()}, nil
}

// taskFragmentKey is the key of a task's row, a cached fragment: it
// changes whenever the row could, so a row never shows another task's
// content.
func taskFragmentKey(t tasks.Task) string {
	// The numbers are formatted on the stack: a page builds a key per row,
	// and only the key itself needs the heap.
	var id, at [20]byte
	return cache.FragmentKey("task", string(strconv.AppendInt(id[:0], t.ID, 10)), string(strconv.AppendInt(at[:0], t.UpdatedAt.UnixMicro(), 10)))
}

// taskRows returns the rows of the list (views/partials/task.html), each a
// cached fragment, all fetched in one round trip however long the list is;
// rows that miss are rendered here and stored in the background. They
// come as one piece of HTML, which the page prints with one action.
func (s *taskPages) taskRows(list []tasks.Task) (template.HTML, error) {
	keys := make([]string, len(list))
	for i, t := range list {
		keys[i] = taskFragmentKey(t)
	}
	var rows strings.Builder
	err := s.fragments.RenderAll(&rows, keys, fragmentTTL, func(i int, w io.Writer) error {
		return s.views.partial(w, "task", list[i])
	})
	return template.HTML(rows.String()), err
}

// indexPage is the data of views/index.html.
type indexPage struct {
	Flash      string
	Tasks      []tasks.Task
	Rows       template.HTML // one cached fragment per task
	MaxTasks   int
	Source     string // where the tasks were loaded from
	Memoized   bool   // whether the list came from the memoized query's cache
	LoadedAt   string
	RenderedAt string
	CacheKind  string
	ViewKey    string // the memcached key of the cached page
}

// handleIndex shows the task list. The route is a cached view that
// visitors share; a request with a flash message, and one whose page is
// the visitor's own (see cache.MarkPersonal), bypasses it and gets a page
// of its own.
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
		Flash:      takeFlash(c),
		Tasks:      list.Tasks,
		Rows:       rows,
		MaxTasks:   tasks.MaxTasks,
		Source:     list.Source,
		Memoized:   list.LoadedAt.Before(start),
		LoadedAt:   list.LoadedAt.Format(timeFormat),
		RenderedAt: time.Now().Format(timeFormat),
		CacheKind:  s.cache.Kind(),
		ViewKey:    s.cache.Key(cache.ViewKey(c.Request().URL)),
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
	s.tasksChanged()
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
	s.cache.Delete(taskFragmentKey(task))
	s.tasksChanged()
	return s.redirectWithFlash(c, "Task deleted.")
}

// tasksChanged invalidates what depends on the task list: the memoized
// query and the cached page. Cache failures are counted and logged by the
// cache; the entries then expire with their TTL.
func (s *taskPages) tasksChanged() {
	s.allTasks.ForgetAll()
	s.cache.DeleteView("/")
}

// redirectWithFlash answers a POST by redirecting to the list (so a reload
// does not post again) with a message for this visitor only.
func (s *taskPages) redirectWithFlash(c echo.Context, msg string) error {
	setFlash(c, msg)
	return c.Redirect(http.StatusSeeOther, "/")
}
