package audit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Options tune Read.
type Options struct {
	// Since drops requests received before it; zero keeps all.
	Since time.Time
	// Until drops requests received after it; zero keeps all.
	Until time.Time
	// Workers decode lines in parallel; 0 means GOMAXPROCS.
	Workers int
	// MaxLine is the longest line read, in bytes (default 64 MiB); longer lines (events with
	// huge request or response bodies) are reported as errors and skipped.
	MaxLine int
}

// Stats describe what Read read.
type Stats struct {
	Files int `json:"files"`
	Lines int `json:"lines"`
	// Requests are the completed requests passed to the callback; Denied of them were
	// refused by the authorizer.
	Requests int `json:"requests"`
	Denied   int `json:"denied"`
	// Partial are events of stages that do not end a request (RequestReceived,
	// ResponseStarted), skipped because the request is counted at its last stage.
	Partial int `json:"partial"`
	// OutOfWindow are requests outside Since/Until.
	OutOfWindow int `json:"outOfWindow"`
	// Unattributable are completed events with neither a parsable request URI nor an
	// objectRef.
	Unattributable int `json:"unattributable"`
	// First and Last are the receive times of the earliest and latest request counted.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// Errors counts every error, also those beyond the ones returned.
	Errors int `json:"errors"`
}

// Error is a line or file that could not be read.
type Error struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

func (e Error) Error() string {
	if e.Line > 0 {
		return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Message
	}
	return e.File + ": " + e.Message
}

// maxErrors bounds the errors kept, so that a log of garbage does not fill memory; Stats
// counts them all.
const maxErrors = 100

const (
	chunkSize      = 1 << 20
	defaultMaxLine = 64 << 20
)

// Files expands paths into the files to read: a file as given, a directory's regular files
// (not hidden, not recursing), sorted by name so rotated files come in a stable order.
func Files(paths []string) ([]string, []Error) {
	var out []string
	var errs []Error
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			errs = append(errs, Error{File: p, Message: err.Error()})
			continue
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			errs = append(errs, Error{File: p, Message: err.Error()})
			continue
		}
		var names []string
		for _, e := range ents {
			if e.Type().IsRegular() && e.Name()[0] != '.' {
				names = append(names, filepath.Join(p, e.Name()))
			}
		}
		sort.Strings(names)
		out = append(out, names...)
	}
	return out, errs
}

// Read reads the audit logs at paths (files, or directories of rotated files; gzip is
// recognised by its magic bytes) and calls fn for each completed request. fn is called from
// several goroutines at once, each passing its worker index in [0, workers), so that callers
// can aggregate per worker without locks and merge at the end; r is valid only during the
// call. Bad lines are reported with file and line and reading goes on; the first 100 errors
// are returned, and Stats counts them all.
func Read(paths []string, opts Options, fn func(worker int, r *Request)) (Stats, []Error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if opts.MaxLine <= 0 {
		opts.MaxLine = defaultMaxLine
	}
	files, ferrs := Files(paths)
	col := &collector{}
	for _, e := range ferrs {
		col.add(e)
	}
	stats := make([]Stats, workers)
	work := make(chan chunk, workers*2)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for c := range work {
				decodeChunk(w, c, &opts, &stats[w], col, fn)
				putBuf(c.buf)
			}
		}(w)
	}
	total := Stats{}
	for _, f := range files {
		total.Files++
		n, err := split(f, opts.MaxLine, work, col)
		total.Lines += n
		if err != nil {
			col.add(Error{File: f, Message: err.Error()})
		}
	}
	close(work)
	wg.Wait()
	for _, s := range stats {
		total.Requests += s.Requests
		total.Denied += s.Denied
		total.Partial += s.Partial
		total.OutOfWindow += s.OutOfWindow
		total.Unattributable += s.Unattributable
		if !s.First.IsZero() && (total.First.IsZero() || s.First.Before(total.First)) {
			total.First = s.First
		}
		if s.Last.After(total.Last) {
			total.Last = s.Last
		}
	}
	total.Errors = col.count
	sort.Slice(col.errs, func(i, j int) bool {
		a, b := col.errs[i], col.errs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return total, col.errs
}

// chunk is whole lines of one file, the first of them numbered line.
type chunk struct {
	file string
	line int
	buf  *[]byte
	data []byte
}

var bufs = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

func getBuf() *[]byte { return bufs.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) == chunkSize {
		bufs.Put(b)
	}
}

// split reads file and sends it to work in chunks of whole lines; it returns the number of
// lines. A line longer than maxLine is reported and skipped.
func split(file string, maxLine int, work chan<- chunk, col *collector) (int, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return 0, fmt.Errorf("gzip: %w", err)
		}
		defer gz.Close()
		r = gz
	}
	line := 1
	bp := getBuf()
	buf := (*bp)[:0]
	skipping := false // inside a line longer than maxLine
	send := func(data []byte) {
		work <- chunk{file: file, line: line, buf: bp, data: data}
		line += bytes.Count(data, []byte{'\n'})
	}
	for {
		if len(buf) == cap(buf) {
			switch last := bytes.LastIndexByte(buf, '\n'); {
			case last >= 0:
				// Hand on the whole lines; the rest starts the next buffer.
				nbp := getBuf()
				nb := (*nbp)[:0]
				if rest := len(buf) - last - 1; rest > cap(nb) {
					nb = make([]byte, 0, cap(buf))
					nbp = &nb
				}
				nb = append(nb, buf[last+1:]...)
				send(buf[:last+1])
				bp, buf = nbp, nb
			case cap(buf) >= maxLine:
				col.add(Error{File: file, Line: line, Message: fmt.Sprintf("line longer than %d bytes: skipped", maxLine)})
				skipping, buf = true, buf[:0]
			default:
				nb := make([]byte, len(buf), min(2*cap(buf), maxLine))
				copy(nb, buf)
				putBuf(bp)
				bp, buf = &nb, nb
			}
		}
		start := len(buf)
		n, err := r.Read(buf[start:cap(buf)])
		buf = buf[:start+n]
		if skipping {
			if i := bytes.IndexByte(buf, '\n'); i >= 0 {
				buf = buf[:copy(buf, buf[i+1:])]
				line++
				skipping = false
			} else {
				buf = buf[:0]
			}
		}
		if err != nil {
			if len(buf) > 0 && !skipping {
				send(buf)
				if buf[len(buf)-1] != '\n' {
					line++
				}
			} else {
				putBuf(bp)
			}
			if err == io.EOF {
				err = nil
			}
			return line - 1, err
		}
	}
}

func decodeChunk(w int, c chunk, opts *Options, st *Stats, col *collector, fn func(int, *Request)) {
	data, line := c.data, c.line
	var ev event
	for len(data) > 0 {
		var l []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			l, data = data, nil
		}
		n := line
		line++
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		if partial(l) {
			st.Partial++
			continue
		}
		ev = event{}
		if decodeFast(l, &ev) != nil {
			ev = event{}
			if err := json.Unmarshal(l, &ev); err != nil {
				col.add(Error{File: c.file, Line: n, Message: "not a JSON audit event: " + err.Error()})
				continue
			}
		}
		if !ev.isEvent() {
			col.add(Error{File: c.file, Line: n, Message: fmt.Sprintf("not an audit event (apiVersion %q, kind %q)", ev.APIVersion, ev.Kind)})
			continue
		}
		if !ev.final() {
			st.Partial++
			continue
		}
		r, ok := ev.request()
		if !ok {
			st.Unattributable++
			continue
		}
		if (!opts.Since.IsZero() && r.Time.Before(opts.Since)) || (!opts.Until.IsZero() && r.Time.After(opts.Until)) {
			st.OutOfWindow++
			continue
		}
		st.Requests++
		if r.Denied {
			st.Denied++
		}
		if st.First.IsZero() || r.Time.Before(st.First) {
			st.First = r.Time
		}
		if r.Time.After(st.Last) {
			st.Last = r.Time
		}
		fn(w, &r)
	}
}

// partial reports, without decoding the line, whether it is the event of a stage that does
// not end its request. kube-apiserver writes the stage before the user and any request or
// response body, so a look at the head of the line cannot be misled by their content; a line
// written otherwise is decoded in full.
func partial(l []byte) bool {
	head := l[:min(len(l), 320)]
	i := bytes.Index(head, []byte(`"stage":"`))
	if i < 0 || bytes.Contains(head[:i], []byte(`"user"`)) || bytes.Contains(head[:i], []byte(`Object"`)) {
		return false
	}
	v := head[i+len(`"stage":"`):]
	return bytes.HasPrefix(v, []byte(StageRequestReceived+`"`)) || bytes.HasPrefix(v, []byte(StageResponseStarted+`"`))
}

// collector gathers errors from the workers.
type collector struct {
	mu    sync.Mutex
	errs  []Error
	count int
}

func (c *collector) add(e Error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.count++
	if len(c.errs) < maxErrors {
		c.errs = append(c.errs, e)
	}
}
