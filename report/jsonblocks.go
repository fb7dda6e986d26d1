package report

import (
	"bufio"
	"runtime"
	"sync"

	"github.com/kubeharden/kubeharden/check"
)

// findingBlock is how many findings one goroutine encodes at a time: enough that handing
// out blocks costs nothing, few enough that the blocks in flight stay small (a finding is
// about 2 KB of JSON).
var findingBlock = 256

// blockBytesPerFinding is the room a new block buffer has for each finding: twice the
// average, and what the largest blocks of the scale table's reports hold (a namespace's
// workloads, each with its generated policies as a fix).
const blockBytesPerFinding = 4 << 10

// writeFindings writes the items of the JSON report's findings list, each after a comma
// (but the first) and its indentation. Encoding is most of the time a large report takes
// to write, and it is the last step of a scan, when nothing else runs: blocks of findings
// are encoded on every core and written in order, so the bytes are those of encoding them
// one after the other.
func writeFindings(bw *bufio.Writer, fs []check.Finding) error {
	blocks := (len(fs) + findingBlock - 1) / findingBlock
	workers := min(runtime.GOMAXPROCS(0), blocks)
	if workers <= 1 {
		fw := newFindingWriter()
		var b []byte
		for from := 0; from < len(fs); from += findingBlock {
			var err error
			if b, err = encodeFindings(b[:0], fw, fs[from:min(from+findingBlock, len(fs))], from); err != nil {
				return err
			}
			bw.Write(b)
		}
		return nil
	}
	type block struct {
		from int
		b    []byte
		err  error
		done chan struct{}
	}
	// free are buffers of blocks written, for blocks to come: at most those in flight. A
	// new buffer is large enough that it seldom grows, so the few buffers in flight are
	// most of what writing a report allocates.
	free := make(chan []byte, 3*workers)
	get := func() []byte {
		select {
		case b := <-free:
			return b[:0]
		default:
			return make([]byte, 0, findingBlock*blockBytesPerFinding)
		}
	}
	work := make(chan *block)
	// order holds the blocks handed out, in order; its capacity bounds those in flight.
	order := make(chan *block, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fw := newFindingWriter()
			for bl := range work {
				end := min(bl.from+findingBlock, len(fs))
				bl.b, bl.err = encodeFindings(get(), fw, fs[bl.from:end], bl.from)
				close(bl.done)
			}
		}()
	}
	go func() {
		for from := 0; from < len(fs); from += findingBlock {
			bl := &block{from: from, done: make(chan struct{})}
			order <- bl
			work <- bl
		}
		close(work)
		close(order)
	}()
	var err error
	for bl := range order {
		<-bl.done
		if err == nil {
			if err = bl.err; err == nil {
				bw.Write(bl.b)
			}
		}
		select {
		case free <- bl.b:
		default:
		}
	}
	wg.Wait()
	return err
}

// encodeFindings appends the items of fs, which start at index from in the list.
func encodeFindings(b []byte, fw *findingWriter, fs []check.Finding, from int) ([]byte, error) {
	for i := range fs {
		if from+i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = fw.write(append(b, "\n    "...), &fs[i]); err != nil {
			return b, err
		}
	}
	return b, nil
}
