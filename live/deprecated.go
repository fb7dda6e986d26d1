package live

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubeharden/kubeharden/inventory"
)

// deprecatedAPIsMetric is the API server's gauge of deprecated APIs requested since it
// started, labelled group, version, resource, subresource and removed_release.
const deprecatedAPIsMetric = "apiserver_requested_deprecated_apis"

// DeprecatedAPIRequests reads, from the API server's /metrics, the deprecated APIs clients
// have requested since it started. Reading /metrics needs get on that non-resource URL
// (cluster-admin and the system:monitoring group have it); without it the error says so.
// With several API servers behind one address, the answer is that of the one reached.
func DeprecatedAPIRequests(ctx context.Context, cfg *rest.Config) ([]inventory.DeprecatedAPIRequest, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	body, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		if apierrors.IsForbidden(err) {
			return nil, fmt.Errorf("reading /metrics is forbidden (needs get on the /metrics non-resource URL): deprecated API calls are not known")
		}
		return nil, fmt.Errorf("reading /metrics: %s", oneLine(err.Error()))
	}
	return ParseDeprecatedAPIMetric(string(body))
}

// ParseDeprecatedAPIMetric reads the apiserver_requested_deprecated_apis samples of a
// Prometheus text exposition, sorted, those with a value of zero left out.
func ParseDeprecatedAPIMetric(text string) ([]inventory.DeprecatedAPIRequest, error) {
	var out []inventory.DeprecatedAPIRequest
	for n, line := range strings.Split(text, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), deprecatedAPIsMetric+"{")
		if !ok {
			continue
		}
		labels, value, err := parseSample(rest)
		if err != nil {
			return nil, fmt.Errorf("/metrics line %d: %v", n+1, err)
		}
		if value == 0 {
			continue
		}
		out = append(out, inventory.DeprecatedAPIRequest{
			Group: labels["group"], Version: labels["version"], Resource: labels["resource"],
			Subresource: labels["subresource"], RemovedRelease: labels["removed_release"],
		})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.Group+"/"+a.Version+"/"+a.Resource+"/"+a.Subresource < b.Group+"/"+b.Version+"/"+b.Resource+"/"+b.Subresource
	})
	return out, nil
}

// parseSample reads `k="v",k2="v2"} value` (the part after the metric name's brace).
func parseSample(s string) (map[string]string, float64, error) {
	labels := map[string]string{}
	for {
		s = strings.TrimLeft(s, " ,")
		if strings.HasPrefix(s, "}") {
			s = s[1:]
			break
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || len(s) < eq+2 || s[eq+1] != '"' {
			return nil, 0, fmt.Errorf("malformed labels")
		}
		key := strings.TrimSpace(s[:eq])
		s = s[eq+2:]
		var val strings.Builder
		i := 0
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				switch s[i] {
				case 'n':
					val.WriteByte('\n')
				default:
					val.WriteByte(s[i])
				}
				continue
			}
			val.WriteByte(s[i])
		}
		if i >= len(s) {
			return nil, 0, fmt.Errorf("unterminated label value")
		}
		labels[key] = val.String()
		s = s[i+1:]
	}
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, 0, fmt.Errorf("no value")
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return nil, 0, fmt.Errorf("value %q: %v", fields[0], err)
	}
	return labels, v, nil
}
