package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/echocache/scaffold/generated-example/internal/cache"
)

// metrics is what /metrics serves, in Prometheus's text format: the
// cache's counters by layer, each memcached server's state and figures,
// the near cache's size, the latency of requests by route, and the Go
// runtime's own.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.HistogramVec
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "How long requests took, by route (as registered), method and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method", "code"}),
	}
	m.registry.MustRegister(m.requests, cacheCollector{s},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observe is middleware that times every request by the route that
// answered it: the route's pattern, not the path, so that made-up paths
// cannot make up series.
func (m *metrics) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		code := c.Response().Status
		if err != nil && !c.Response().Committed {
			// The error handler writes the answer afterwards.
			code = http.StatusInternalServerError
			var he *echo.HTTPError
			if errors.As(err, &he) {
				code = he.Code
			}
		}
		m.requests.WithLabelValues(route, c.Request().Method, strconv.Itoa(code)).Observe(time.Since(start).Seconds())
		return err
	}
}

// handleMetrics serves the metrics to a scraper. It reads counters and
// states only; memcached's own figures come from a poll in the
// background (see cache.Cache.Usage), so scraping costs the servers at
// most a connection each every 30 seconds.
func (s *Server) handleMetrics(c echo.Context) error {
	promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}).ServeHTTP(c.Response(), c.Request())
	return nil
}

// cacheCollector reads the cache's counters and states when scraped.
type cacheCollector struct{ s *Server }

var (
	layerCounters = []struct {
		desc  *prometheus.Desc
		value func(cache.LayerStats) uint64
	}{
		{prometheus.NewDesc("cache_hits_total", "Lookups answered from the cache, by layer.", []string{"layer"}, nil), func(st cache.LayerStats) uint64 { return st.Hits }},
		{prometheus.NewDesc("cache_misses_total", "Lookups made again, by layer.", []string{"layer"}, nil), func(st cache.LayerStats) uint64 { return st.Misses }},
		{prometheus.NewDesc("cache_errors_total", "Cache failures met, by layer.", []string{"layer"}, nil), func(st cache.LayerStats) uint64 { return st.Errors }},
		{prometheus.NewDesc("cache_stale_total", "Answers made of an entry past its fresh lifetime, by layer.", []string{"layer"}, nil), func(st cache.LayerStats) uint64 { return st.Stale }},
		{prometheus.NewDesc("cache_rescued_total", "Stale answers given because making a fresh one failed, by layer.", []string{"layer"}, nil), func(st cache.LayerStats) uint64 { return st.Rescued }},
		{prometheus.NewDesc("cache_refreshes_total", "Background refreshes of stale entries, by layer.", []string{"layer"}, nil), func(st cache.LayerStats) uint64 { return st.Refreshes }},
	}
	serverUpDesc  = prometheus.NewDesc("cache_server_up", "Whether the memcached server is in the ring.", []string{"server"}, nil)
	evictionsDesc = prometheus.NewDesc("cache_evictions_total", "Live items the store dropped for room, of every app and layer that shares it, as of its last poll.", []string{"server"}, nil)
	itemsDesc     = prometheus.NewDesc("cache_items", "Items the store holds, as of its last poll.", []string{"server"}, nil)
	bytesDesc     = prometheus.NewDesc("cache_bytes", "Bytes the store holds, as of its last poll.", []string{"server"}, nil)
	nearDesc      = prometheus.NewDesc("cache_near_entries", "Pages and fragments the near cache holds.", nil, nil)
	nearBytesDesc = prometheus.NewDesc("cache_near_bytes", "Bytes the near cache's entries take, about.", nil, nil)
	cacheDescs    = []*prometheus.Desc{serverUpDesc, evictionsDesc, itemsDesc, bytesDesc, nearDesc, nearBytesDesc}
)

// Describe implements prometheus.Collector.
func (cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, lc := range layerCounters {
		ch <- lc.desc
	}
	for _, d := range cacheDescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (cc cacheCollector) Collect(ch chan<- prometheus.Metric) {
	c := cc.s.cache
	stats := c.Stats()
	for _, l := range cc.s.layers {
		st := stats.Layers[l]
		for _, lc := range layerCounters {
			ch <- prometheus.MustNewConstMetric(lc.desc, prometheus.CounterValue, float64(lc.value(st)), st.Name)
		}
	}
	for _, st := range c.Servers() {
		up := 0.0
		if st.Up {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(serverUpDesc, prometheus.GaugeValue, up, st.Addr)
	}
	for _, u := range c.Usage() {
		if u.Read.IsZero() {
			continue // not polled yet
		}
		ch <- prometheus.MustNewConstMetric(evictionsDesc, prometheus.CounterValue, float64(u.Evictions), u.Addr)
		ch <- prometheus.MustNewConstMetric(itemsDesc, prometheus.GaugeValue, float64(u.Items), u.Addr)
		ch <- prometheus.MustNewConstMetric(bytesDesc, prometheus.GaugeValue, float64(u.Bytes), u.Addr)
	}
	entries, bytes := c.NearUsage()
	ch <- prometheus.MustNewConstMetric(nearDesc, prometheus.GaugeValue, float64(entries))
	ch <- prometheus.MustNewConstMetric(nearBytesDesc, prometheus.GaugeValue, float64(bytes))
}
