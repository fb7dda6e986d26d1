package etcdverify

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kubeharden/kubeharden/encryption"
)

// Client reads key ranges from etcd through its HTTP gateway (the JSON mapping of the gRPC
// KV API that etcd serves on its client port, as POST /v3/kv/range). It uses nothing but
// net/http: the gRPC client would add about 20 MB to kubeharden for this one command.
type Client struct {
	endpoints []string
	http      *http.Client
	// current is the endpoint that answered last; the others are tried when it fails.
	current int
}

// TLSFiles are the client certificate, key and CA bundle for an etcd that requires TLS, as
// etcdctl's --cert, --key and --cacert take them.
type TLSFiles struct {
	CACert, Cert, Key string
}

// NewClient returns a client for the endpoints ("https://10.0.0.10:2379"; without a scheme,
// https when TLS files are given and http otherwise). It does not connect.
func NewClient(endpoints []string, files TLSFiles, timeout time.Duration) (*Client, error) {
	if len(endpoints) == 0 {
		return nil, errors.New("no etcd endpoint given")
	}
	secure := files.CACert != "" || files.Cert != "" || files.Key != ""
	var tlsConfig *tls.Config
	if secure {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		if files.CACert != "" {
			pem, err := os.ReadFile(files.CACert)
			if err != nil {
				return nil, fmt.Errorf("--cacert: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("--cacert %s: no PEM certificate in it", files.CACert)
			}
			tlsConfig.RootCAs = pool
		}
		if (files.Cert == "") != (files.Key == "") {
			return nil, errors.New("--cert and --key go together")
		}
		if files.Cert != "" {
			cert, err := tls.LoadX509KeyPair(files.Cert, files.Key)
			if err != nil {
				return nil, fmt.Errorf("--cert/--key: %w", err)
			}
			tlsConfig.Certificates = []tls.Certificate{cert}
		}
	}
	c := &Client{http: &http.Client{
		Timeout:   timeout,
		Transport: &http.Transport{TLSClientConfig: tlsConfig, Proxy: nil, ForceAttemptHTTP2: false},
	}}
	for _, e := range endpoints {
		e = strings.TrimRight(strings.TrimSpace(e), "/")
		if e == "" {
			continue
		}
		if !strings.Contains(e, "://") {
			if secure {
				e = "https://" + e
			} else {
				e = "http://" + e
			}
		}
		c.endpoints = append(c.endpoints, e)
	}
	if len(c.endpoints) == 0 {
		return nil, errors.New("no etcd endpoint given")
	}
	return c, nil
}

// Endpoint is the endpoint that answered last.
func (c *Client) Endpoint() string { return c.endpoints[c.current] }

// KV is one key with the head of its value.
type KV struct {
	Key         string
	ModRevision int64
	// Head is at most encryption.MaxPrefix bytes from the start of the value: the rest is
	// never decoded.
	Head []byte
	// Size is the value's length in bytes.
	Size int
}

// UnreachableError is returned when no endpoint answers.
type UnreachableError struct{ Err error }

func (e *UnreachableError) Error() string {
	msg := "etcd unreachable: " + e.Err.Error()
	if strings.Contains(msg, "certificate") {
		msg += " (give the CA with --cacert and a client certificate etcd trusts with --cert and --key)"
	}
	return msg
}
func (e *UnreachableError) Unwrap() error { return e.Err }

type rangeRequest struct {
	Key      string `json:"key"`
	RangeEnd string `json:"range_end"`
	Limit    int64  `json:"limit,string"`
}

type rangeResponse struct {
	Kvs []struct {
		Key         string          `json:"key"`
		ModRevision string          `json:"mod_revision"`
		Value       json.RawMessage `json:"value"`
	} `json:"kvs"`
	More bool `json:"more"`
}

// headChars is how many base64 characters hold encryption.MaxPrefix bytes.
const headChars = (encryption.MaxPrefix + 2) / 3 * 4

// Range calls f with every key in [key, end), pageSize keys per request, in key order.
func (c *Client) Range(ctx context.Context, key, end string, pageSize int64, f func(KV) error) error {
	for {
		resp, err := c.page(ctx, key, end, pageSize)
		if err != nil {
			return err
		}
		last := ""
		for i := range resp.Kvs {
			kv := &resp.Kvs[i]
			k, err := base64.StdEncoding.DecodeString(kv.Key)
			if err != nil {
				return fmt.Errorf("etcd answered a key that is not base64: %w", err)
			}
			out := KV{Key: string(k)}
			out.ModRevision, _ = strconv.ParseInt(kv.ModRevision, 10, 64)
			out.Head, out.Size = head(kv.Value)
			clear(kv.Value)
			if err := f(out); err != nil {
				return err
			}
			last = out.Key
		}
		if !resp.More || last == "" {
			return nil
		}
		key = last + "\x00"
	}
}

// head decodes the first headChars characters of a JSON string holding base64: only the
// prefix of the value is ever decoded. size is the decoded length of the whole value.
func head(raw json.RawMessage) ([]byte, int) {
	s := bytes.Trim(raw, `"`)
	size := len(s) / 4 * 3
	if n := len(s); n > 0 && s[n-1] == '=' {
		size--
		if n > 1 && s[n-2] == '=' {
			size--
		}
	}
	h := s[:min(len(s), headChars)]
	out := make([]byte, base64.StdEncoding.DecodedLen(len(h)))
	n, err := base64.StdEncoding.Decode(out, h)
	if err != nil {
		return nil, size
	}
	return out[:n], size
}

func (c *Client) page(ctx context.Context, key, end string, limit int64) (*rangeResponse, error) {
	body, err := json.Marshal(rangeRequest{
		Key:      base64.StdEncoding.EncodeToString([]byte(key)),
		RangeEnd: base64.StdEncoding.EncodeToString([]byte(end)),
		Limit:    limit,
	})
	if err != nil {
		return nil, err
	}
	var errs []error
	for try := 0; try < len(c.endpoints); try++ {
		i := (c.current + try) % len(c.endpoints)
		resp, err := c.post(ctx, c.endpoints[i], body)
		if err == nil {
			c.current = i
			return resp, nil
		}
		var se *statusError
		if errors.As(err, &se) {
			return nil, err // the server answered: another endpoint would say the same
		}
		errs = append(errs, fmt.Errorf("%s: %w", c.endpoints[i], err))
	}
	return nil, &UnreachableError{errors.Join(errs...)}
}

// statusError is an answer other than 200.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string {
	switch e.status {
	case http.StatusNotFound:
		return "etcd has no /v3/kv/range endpoint: its gRPC gateway is off (--enable-grpc-gateway=false) or this is not etcd 3.4 or later"
	case http.StatusUnauthorized, http.StatusForbidden:
		return "etcd refused the request (" + e.msg + "): give a client certificate it trusts with --cert and --key"
	}
	return fmt.Sprintf("etcd answered %d: %s", e.status, e.msg)
}

func (c *Client) post(ctx context.Context, endpoint string, body []byte) (*rangeResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/v3/kv/range", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	// The body holds whole values: wipe it once the heads are taken.
	defer clear(data)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Message string `json:"message"`
			Error   string `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		msg := e.Message
		if msg == "" {
			msg = e.Error
		}
		if msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
		return nil, &statusError{resp.StatusCode, msg}
	}
	var out rangeResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("etcd's answer is not a range response: %v", err)
	}
	return &out, nil
}
