package web

import (
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetrics: /metrics is Prometheus's text format, with the cache's
// counters by layer, the servers' state and figures, the near cache's
// size, and requests' latency by route, not by path.
func TestMetrics(t *testing.T) {
	for name, newServer := range caches(t) {
		t.Run(name, func(t *testing.T) {
			s := newServer(t)
			do(s, http.MethodGet, "/healthz")
			do(s, http.MethodGet, "/no/such/page")
			s.cache.Usage() // start a poll of memcached's figures
			rec := do(s, http.MethodGet, "/metrics")
			if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
				t.Fatalf("GET /metrics: %d %q", rec.Code, rec.Header().Get("Content-Type"))
			}
			parser := expfmt.NewTextParser(model.UTF8Validation)
			families, err := parser.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
			if err != nil {
				t.Fatalf("/metrics does not parse as Prometheus text: %v\n%s", err, rec.Body)
			}
			has := func(family string, labels map[string]string) bool {
				f, ok := families[family]
				if !ok {
					return false
				}
				for _, m := range f.GetMetric() {
					if matches(m, labels) {
						return true
					}
				}
				return false
			}
			for _, want := range []struct {
				family string
				labels map[string]string
			}{
				{"cache_hits_total", map[string]string{"layer": "views"}},
				{"cache_stale_total", map[string]string{"layer": "views"}},
				{"cache_rescued_total", map[string]string{"layer": "views"}},
				{"cache_refreshes_total", map[string]string{"layer": "views"}},
				{"cache_near_entries", nil},
				{"http_request_duration_seconds", map[string]string{"route": "/healthz", "method": "GET", "code": "200"}},
				{"http_request_duration_seconds", map[string]string{"route": "unmatched", "code": "404"}},
				{"go_goroutines", nil},
			} {
				if !has(want.family, want.labels) {
					t.Errorf("/metrics has no %s with %v", want.family, want.labels)
				}
			}
			if strings.Contains(rec.Body.String(), "/no/such/page") {
				t.Error("a request's path became a label: made-up paths would make up series")
			}
			if name == "memcached" && !has("cache_server_up", nil) {
				t.Error("/metrics has no cache_server_up for the memcached server")
			}
			if name == "memory" && !has("cache_evictions_total", map[string]string{"server": "memory"}) {
				t.Error("/metrics has no evictions of the in-memory cache")
			}
		})
	}
}

// matches reports whether m has every label of labels.
func matches(m *dto.Metric, labels map[string]string) bool {
	for name, value := range labels {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == name && l.GetValue() == value {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}
