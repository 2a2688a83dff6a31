package scaffold_test

import (
	"bufio"
	"debug/elf"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// No Docker engine runs where these tests run, so they check what can be
// checked without one: the example's Dockerfile, .dockerignore and
// compose.yaml parse, the paths and names they use agree with each other
// and with the app, and the Dockerfile's build command, run as written,
// builds a static binary.

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, COPY, ...
	args string
}

func parseDockerfile(t *testing.T, p string) []instruction {
	t.Helper()
	var out []instruction
	var line strings.Builder
	sc := bufio.NewScanner(strings.NewReader(readFile(t, p)))
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if line.Len() == 0 && (text == "" || strings.HasPrefix(text, "#")) {
			continue
		}
		if rest, ok := strings.CutSuffix(text, `\`); ok {
			line.WriteString(rest + " ")
			continue
		}
		line.WriteString(text)
		cmd, args, _ := strings.Cut(line.String(), " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		line.Reset()
	}
	if line.Len() > 0 {
		t.Fatalf("%s ends in a continuation line", p)
	}
	return out
}

func TestDockerfile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example app; skipped with -short")
	}
	const dir = "generated-example"
	steps := parseDockerfile(t, filepath.Join(dir, "Dockerfile"))

	// Split the instructions into stages.
	var stages [][]instruction
	for _, s := range steps {
		if s.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("instruction %s before the first FROM", s.cmd)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], s)
	}
	if len(stages) != 2 {
		t.Fatalf("got %d stages, want 2 (build, run)", len(stages))
	}
	build, final := stages[0], stages[1]
	if !strings.HasSuffix(build[0].args, " AS build") || !strings.HasPrefix(build[0].args, "golang:1.25") {
		t.Errorf("build stage is FROM %s, want golang:1.25… AS build (go.mod's version)", build[0].args)
	}
	if !strings.Contains(final[0].args, "distroless/static") {
		t.Errorf("run stage is FROM %s, want a minimal static image", final[0].args)
	}

	// The build command, as written, builds a static binary.
	var buildCmd string
	for _, s := range build {
		if s.cmd == "RUN" && strings.Contains(s.args, "go build") {
			buildCmd = s.args
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-o /out/"} {
		if !strings.Contains(buildCmd, want) {
			t.Errorf("build command %q lacks %s", buildCmd, want)
		}
	}
	out := t.TempDir()
	src := t.TempDir()
	copyTree(t, dir, src)
	cmd := exec.Command("sh", "-c", strings.ReplaceAll(buildCmd, "/out/", out+"/"))
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly -buildvcs=false")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", buildCmd, err, msg)
	}
	built := strings.Fields(buildCmd[strings.Index(buildCmd, "-o /out/")+len("-o "):])[0]
	bin := filepath.Join(out, path.Base(built))
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("the build command made no binary at %s: %v", built, err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary is dynamically linked, want static")
		}
	}
	f.Close()
	if data, _ := os.ReadFile(bin); strings.Contains(string(data), src) {
		t.Error("the binary holds the build directory's path: -trimpath did not apply")
	}
	// compose.yaml's migrate service runs the binary's migrate command.
	migrate := exec.Command(bin, "migrate")
	migrate.Env = []string{}
	if msg, err := migrate.CombinedOutput(); err != nil || !strings.Contains(string(msg), "nothing to do") {
		t.Errorf("%s migrate without DATABASE_URL: %v\n%s", path.Base(built), err, msg)
	}

	// The run stage copies that binary, runs it as a user without
	// privileges, and says which port it listens on.
	var copied, user, port, expose string
	var entrypoint []string
	for _, s := range final {
		switch s.cmd {
		case "COPY":
			f := strings.Fields(s.args)
			if len(f) == 3 && f[0] == "--from=build" && f[1] == built {
				copied = f[2]
			}
		case "USER":
			user = s.args
		case "ENV":
			if v, ok := strings.CutPrefix(s.args, "PORT="); ok {
				port = v
			}
		case "EXPOSE":
			expose = s.args
		case "ENTRYPOINT":
			if err := yaml.Unmarshal([]byte(s.args), &entrypoint); err != nil {
				t.Errorf("ENTRYPOINT %s is not an exec-form list: %v", s.args, err)
			}
		}
	}
	if copied == "" {
		t.Errorf("the run stage does not COPY --from=build %s", built)
	}
	if len(entrypoint) == 0 || entrypoint[0] != copied {
		t.Errorf("ENTRYPOINT %q does not run the copied binary %s", entrypoint, copied)
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "root" || u == "0" {
		t.Errorf("USER %q: want a user without privileges", user)
	}
	if port == "" || expose != port {
		t.Errorf("ENV PORT=%s and EXPOSE %s: want the same port, which the app reads from PORT", port, expose)
	}
}

func TestDockerignore(t *testing.T) {
	var patterns []string
	sc := bufio.NewScanner(strings.NewReader(readFile(t, "generated-example/.dockerignore")))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, strings.TrimSuffix(line, "/"))
		}
	}
	ignored := func(p string) bool {
		for _, pat := range patterns {
			for q := p; q != "."; q = path.Dir(q) {
				if ok, _ := path.Match(pat, q); ok {
					return true
				}
			}
		}
		return false
	}
	for _, p := range []string{"go.mod", "go.sum", "main.go", "internal/web/server.go", "internal/web/views/layout.html"} {
		if ignored(p) {
			t.Errorf("%s is ignored, but the build needs it", p)
		}
	}
	for _, p := range []string{".git/HEAD", "bin/generated-example", ".env"} {
		if !ignored(p) {
			t.Errorf("%s is sent to the build, want it ignored", p)
		}
	}
}

// composeFile is the part of compose.yaml the test reads.
type composeFile struct {
	Services map[string]struct {
		Build       string            `yaml:"build"`
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Ports       []string          `yaml:"ports"`
		Environment map[string]string `yaml:"environment"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck *struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
}

func TestCompose(t *testing.T) {
	var c composeFile
	if err := yaml.Unmarshal([]byte(readFile(t, "generated-example/compose.yaml")), &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, name := range []string{"app", "migrate", "memcached", "postgres"} {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("compose.yaml has no %s service", name)
		}
	}
	app, migrate := c.Services["app"], c.Services["migrate"]
	if app.Build != "." || migrate.Build != "." {
		t.Errorf("app and migrate build %q and %q, want the Dockerfile here (.)", app.Build, migrate.Build)
	}
	if !slices.Equal(migrate.Command, []string{"migrate"}) {
		t.Errorf("migrate runs %q, want the binary's migrate subcommand", migrate.Command)
	}
	if cond := app.DependsOn["migrate"].Condition; cond != "service_completed_successfully" {
		t.Errorf("app waits for migrate with %q, want service_completed_successfully", cond)
	}
	if cond := migrate.DependsOn["postgres"].Condition; cond != "service_healthy" || c.Services["postgres"].Healthcheck == nil {
		t.Errorf("migrate waits for postgres with %q, want service_healthy and a health check", cond)
	}

	// The addresses name services of the file, on their standard ports.
	if got := app.Environment["MEMCACHIER_SERVERS"]; got != "memcached:11211" {
		t.Errorf("MEMCACHIER_SERVERS=%q, want memcached:11211", got)
	}
	for _, svc := range []string{"app", "migrate"} {
		raw := c.Services[svc].Environment["DATABASE_URL"]
		u, err := url.Parse(raw)
		if err != nil || u.Host != "postgres:5432" || u.Query().Get("sslmode") != "disable" {
			t.Errorf("%s: DATABASE_URL=%q, want postgres:5432 with sslmode=disable (no TLS inside compose)", svc, raw)
			continue
		}
		pg := c.Services["postgres"].Environment
		pass, _ := u.User.Password()
		if u.User.Username() != pg["POSTGRES_USER"] || pass != pg["POSTGRES_PASSWORD"] || u.Path != "/"+pg["POSTGRES_DB"] {
			t.Errorf("%s: DATABASE_URL=%q does not match the postgres service's user, password and database", svc, raw)
		}
	}
	if want := app.Environment["PORT"] + ":" + app.Environment["PORT"]; !slices.Contains(app.Ports, want) {
		t.Errorf("app publishes %q, want %s (its PORT)", app.Ports, want)
	}
}

// copyTree copies the files under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// workflow is the part of .github/workflows/ci.yml the test reads.
type workflow struct {
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		RunsOn string `yaml:"runs-on"`
		Steps  []struct {
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func TestWorkflow(t *testing.T) {
	const dir = "generated-example"
	var w workflow
	if err := yaml.Unmarshal([]byte(readFile(t, filepath.Join(dir, ".github/workflows/ci.yml"))), &w); err != nil {
		t.Fatalf("ci.yml: %v", err)
	}
	if _, ok := w.On["pull_request"]; !ok {
		t.Error("the workflow does not run on pull requests")
	}
	job, ok := w.Jobs["test"]
	if !ok {
		t.Fatal("the workflow has no test job")
	}
	var runs []string
	goVersionFile := ""
	for _, s := range job.Steps {
		if strings.HasPrefix(s.Uses, "actions/setup-go@") {
			goVersionFile = s.With["go-version-file"]
		}
		if s.Run != "" {
			runs = append(runs, s.Run)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, goVersionFile)); goVersionFile == "" || err != nil {
		t.Errorf("setup-go reads the Go version from %q, which is not a file of the app", goVersionFile)
	}
	all := strings.Join(runs, "\n")
	for _, want := range []string{"go vet ./...", "go test -race ./...", "gofmt -l", "apt-get install -y memcached postgresql"} {
		if !strings.Contains(all, want) {
			t.Errorf("the workflow does not run %q", want)
		}
	}
}
