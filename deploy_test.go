package scaffold_test

import (
	"bufio"
	"bytes"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHerokuDeploy performs the Heroku Go buildpack's steps on a copy of
// this repository: install the packages named by the root go.mod's
// "+heroku install" directive into bin/, run the bin/go-post-compile hook,
// then run the Procfile's release command and start its web command from
// the repository root with PORT set, as a deploy does, and request the
// example app's home page.
func TestHerokuDeploy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the repository and the example app; skipped with -short")
	}
	app := t.TempDir()
	copyRepo(t, ".", app)
	gobin := filepath.Join(app, "bin")
	env := append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=-mod=readonly -buildvcs=false")

	gomod := readFile(t, filepath.Join(app, "go.mod"))
	if !strings.Contains(gomod, "// +heroku goVersion go1.25\n") {
		t.Error("go.mod lacks the // +heroku goVersion go1.25 directive")
	}
	install := directive(t, gomod, "// +heroku install ")
	run(t, app, env, "go", append([]string{"install", "-tags", "heroku"}, strings.Fields(install)...)...)
	run(t, app, env, "./bin/go-post-compile")

	procfile := readFile(t, filepath.Join(app, "Procfile"))
	web := directive(t, procfile, "web: ")
	release := directive(t, procfile, "release: ")
	if want := web + " migrate && " + web + " check"; release != want {
		t.Errorf("Procfile release = %q, want %q", release, want)
	}
	runRelease(t, app, env, release)

	port := freePort(t)
	cmd := exec.Command("bash", "-c", "exec "+web)
	cmd.Dir = app
	cmd.Env = append(env, "PORT="+strconv.Itoa(port), "PATH="+gobin+":"+os.Getenv("PATH"))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })

	body := getWhenUp(t, "http://127.0.0.1:"+strconv.Itoa(port)+"/", exited, &logs)
	if !strings.Contains(body, "generated-example") {
		t.Errorf("home page does not name the app:\n%s", body)
	}

	// Heroku stops a dyno with SIGTERM and kills it 30 seconds later.
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("web process exited with %v after SIGTERM; logs:\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("web process still running 30s after SIGTERM")
	}
}

// runRelease runs the release command as Heroku's release phase does:
// without a database migrate has nothing to do and the checks pass; with
// a database that does not answer, or on a dyno without SESSION_SECRET,
// it fails the deploy and says why.
func runRelease(t *testing.T, dir string, env []string, release string) {
	t.Helper()
	gobin := filepath.Join(dir, "bin")
	unreachable := "postgres://app:pw@127.0.0.1:" + strconv.Itoa(freePort(t)) + "/app?sslmode=disable"
	for _, tt := range []struct {
		env     []string
		wantErr bool
		wantLog string
	}{
		{[]string{"DATABASE_URL="}, false, "nothing to do"},
		{[]string{"DATABASE_URL="}, false, "ok       memcached"},
		{[]string{"DATABASE_URL=" + unreachable}, true, "migrate"},
		{[]string{"DATABASE_URL=", "DYNO=web.1", "SESSION_SECRET="}, true, "error    SESSION_SECRET"},
	} {
		cmd := exec.Command("bash", "-c", release)
		cmd.Dir = dir
		cmd.Env = append(append(env, "DATABASE_CONNECT_TIMEOUT=1s", "PATH="+gobin+":"+os.Getenv("PATH")), tt.env...)
		out, err := cmd.CombinedOutput()
		if (err != nil) != tt.wantErr || !strings.Contains(string(out), tt.wantLog) {
			t.Errorf("release with %v: err %v, want error %v, output containing %q:\n%s", tt.env, err, tt.wantErr, tt.wantLog, out)
		}
	}
}

// TestRootDeployFilesMatchExample keeps the root's Heroku files in step
// with the example app's, which are generated.
func TestRootDeployFilesMatchExample(t *testing.T) {
	for _, name := range []string{"app.json", "Procfile"} {
		if root, ex := readFile(t, name), readFile(t, filepath.Join("generated-example", name)); root != ex {
			t.Errorf("%s differs from generated-example/%s", name, name)
		}
	}
	info, err := os.Stat("bin/go-post-compile")
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode()&0o111 == 0 {
		t.Error("bin/go-post-compile is not executable")
	}
}

// copyRepo copies the repository's source, without .git and built binaries.
func copyRepo(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(p)
		if d.IsDir() {
			if rel == ".git" || rel == "generated-example/bin" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, p), 0o755)
		}
		if strings.HasPrefix(rel, "bin/") && rel != "bin/go-post-compile" {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, p), data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// directive returns the rest of the first line of text that starts with prefix.
func directive(t *testing.T, text, prefix string) string {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			return strings.TrimSpace(rest)
		}
	}
	t.Fatalf("no line starting with %q in:\n%s", prefix, text)
	return ""
}

func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func getWhenUp(t *testing.T, url string, exited <-chan error, logs *bytes.Buffer) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("web process exited early (%v); logs:\n%s", err, logs.String())
		default:
		}
		resp, err := http.Get(url)
		if err != nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d, want 200", url, resp.StatusCode)
		}
		return string(body)
	}
	t.Fatalf("%s did not answer within 15s; logs:\n%s", url, logs.String())
	return ""
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
