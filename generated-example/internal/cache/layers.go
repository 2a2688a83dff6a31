package cache

import "sync/atomic"

// Layer is one of the caching layers built on a Cache. Each counts its own
// hits, misses and errors, so that Stats can say which layer is working:
// the Cache's own counters add up every key, of every layer.
type Layer int

// The layers of the app.
const (
	LayerViews Layer = iota
	LayerMemoize
	LayerFragments
	LayerSessions
	numLayers
)

// Tag returns what the keys of the layer start with after the cache's
// prefix: "v:", "m:", "f:" or "s:". Tag versions (see InvalidateTags)
// start with "t:".
func (l Layer) Tag() string {
	switch l {
	case LayerViews:
		return "v:"
	case LayerMemoize:
		return "m:"
	case LayerFragments:
		return "f:"
	case LayerSessions:
		return "s:"
	}
	return "x:"
}

// tagVersionsTag is what the keys of tag versions start with after the
// cache's prefix.
const tagVersionsTag = "t:"

// String returns the layer's name, as Stats and the dashboard show it.
func (l Layer) String() string {
	switch l {
	case LayerViews:
		return "views"
	case LayerMemoize:
		return "memoize"
	case LayerFragments:
		return "fragments"
	case LayerSessions:
		return "sessions"
	}
	return "unknown"
}

// LayerStats are one layer's counters.
type LayerStats struct {
	Name   string `json:"name"`
	Hits   uint64 `json:"hits"`
	Misses uint64 `json:"misses"`
	Errors uint64 `json:"errors"`
	// Stale counts lookups answered with an entry past its fresh lifetime:
	// within its stale window while a refresh ran, or within its grace
	// window because producing a fresh one failed (of which Rescued).
	Stale   uint64 `json:"stale"`
	Rescued uint64 `json:"rescued"`
	// Refreshes counts the background refreshes this process ran.
	Refreshes uint64 `json:"refreshes"`
}

// HitRatio is hits over lookups, or 0 before the first lookup.
func (s LayerStats) HitRatio() float64 {
	if n := s.Hits + s.Misses; n > 0 {
		return float64(s.Hits) / float64(n)
	}
	return 0
}

type layerCounters struct {
	hits, misses, errors, stale, rescued, refreshes atomic.Uint64
}

// CountHit records that layer l answered a lookup from the cache.
func (c *Cache) CountHit(l Layer) { c.layers[l].hits.Add(1) }

// CountMiss records that layer l found nothing usable in the cache and
// computed the answer.
func (c *Cache) CountMiss(l Layer) { c.layers[l].misses.Add(1) }

// CountError records that layer l met a cache failure, such as an entry
// it could not use or a write that failed. The failure itself is counted
// and logged by the Cache.
func (c *Cache) CountError(l Layer) { c.layers[l].errors.Add(1) }

func (c *Cache) layerStats() []LayerStats {
	out := make([]LayerStats, numLayers)
	for l := range numLayers {
		lc := &c.layers[l]
		out[l] = LayerStats{Name: l.String(), Hits: lc.hits.Load(), Misses: lc.misses.Load(), Errors: lc.errors.Load(),
			Stale: lc.stale.Load(), Rescued: lc.rescued.Load(), Refreshes: lc.refreshes.Load()}
	}
	return out
}
