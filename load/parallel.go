package load

import (
	"runtime"
	"sync"

	"github.com/kubeharden/kubeharden/inventory"
)

// parallelMin is the size from which one file's documents are decoded on every core. Below
// it the goroutines cost more than they save; a directory of ordinary manifests is already
// read one file per core.
var parallelMin = 1 << 20

// batchSize is about how many bytes of documents one goroutine takes at a time: small enough
// to share the work evenly, large enough that handing it out costs nothing.
var batchSize = 256 << 10

// parallel decodes the documents of one large file (a cluster dump) on every core. The file
// is cut into documents as split cuts it, runs of documents go to workers, each with a
// decoder of its own, and their objects, errors and skips are put back in file order, so the
// result is the one reading the documents in turn gives.
func (d *decoder) parallel(data []byte) {
	type chunk struct {
		b    []byte
		line int
	}
	var chunks []chunk
	split(data, func(b []byte, line int) { chunks = append(chunks, chunk{b, line}) })
	// Runs of whole documents of about batchSize bytes.
	var bounds []int
	size := 0
	for i, c := range chunks {
		if size >= batchSize {
			bounds = append(bounds, i)
			size = 0
		}
		size += len(c.b)
	}
	bounds = append(bounds, len(chunks))
	type part struct {
		d        *decoder
		panicked bool
	}
	parts := make([]part, len(bounds))
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(bounds)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				sub := &decoder{name: d.name, lenient: d.lenient, share: d.share}
				from := 0
				if i > 0 {
					from = bounds[i-1]
				}
				parts[i].panicked = sub.guard(func() {
					for _, c := range chunks[from:bounds[i]] {
						sub.chunk(c.b, c.line)
					}
					if sub.share != nil {
						sub.share.objects(sub.objs)
					}
				})
				sub.release()
				parts[i].d = sub
			}
		}()
	}
	for i := range bounds {
		work <- i
	}
	close(work)
	wg.Wait()
	n := len(d.objs)
	for _, p := range parts {
		n += len(p.d.objs)
	}
	d.objs = append(make([]*inventory.Object, 0, n), d.objs...)
	for _, p := range parts {
		d.objs = append(d.objs, p.d.objs...)
		d.errs = append(d.errs, p.d.errs...)
		if len(d.skips) == 0 {
			d.skips = p.d.skips
		}
		d.warned += p.d.warned
		if p.panicked {
			// Reading in turn stops at the document that broke the reader.
			return
		}
	}
}

// guard runs f and reports whether it panicked, recording the panic as decode does.
func (d *decoder) guard(f func()) (panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			d.errorf(0, "%s while reading this file (please report it): %v", internalError, r)
			panicked = true
		}
	}()
	f()
	return false
}

// parallelWorth says whether a file is large enough to decode on several cores, and there
// are several.
func parallelWorth(data []byte) bool {
	return len(data) >= parallelMin && runtime.GOMAXPROCS(0) > 1
}
