package imageinspect

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// cache keeps analyses by image digest: in memory for the run, and on disk when a directory
// is given. Concurrent requests for one digest share one analysis.
type cache struct {
	dir string
	mu  sync.Mutex
	mem map[string]*cached
}

type cached struct {
	once sync.Once
	a    *analysis
	err  error
}

func newCache(dir string) *cache { return &cache{dir: dir, mem: map[string]*cached{}} }

// get returns the analysis of digest, computing it with compute once.
func (c *cache) get(digest string, compute func() (*analysis, error)) (*analysis, error) {
	c.mu.Lock()
	e := c.mem[digest]
	if e == nil {
		e = &cached{}
		c.mem[digest] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		if a := c.load(digest); a != nil {
			e.a = a
			return
		}
		e.a, e.err = compute()
		if e.err == nil {
			c.store(digest, e.a)
		}
	})
	return e.a, e.err
}

func (c *cache) file(digest string) string {
	if c.dir == "" || strings.ContainsAny(digest, `/\`) || strings.Contains(digest, "..") {
		return ""
	}
	return filepath.Join(c.dir, strings.ReplaceAll(digest, ":", "-")+".json")
}

func (c *cache) load(digest string) *analysis {
	p := c.file(digest)
	if p == "" {
		return nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	var a analysis
	if json.Unmarshal(b, &a) != nil || a.Version != analysisVersion {
		return nil
	}
	return &a
}

// store writes an analysis atomically; a cache that cannot be written is no error.
func (c *cache) store(digest string, a *analysis) {
	p := c.file(digest)
	if p == "" {
		return
	}
	b, err := json.Marshal(a)
	if err != nil || os.MkdirAll(c.dir, 0o755) != nil {
		return
	}
	tmp, err := os.CreateTemp(c.dir, ".tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), p) != nil {
		os.Remove(tmp.Name())
	}
}
