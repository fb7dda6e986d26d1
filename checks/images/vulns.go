package images

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/exposure"
	"github.com/kubeharden/kubeharden/inventory"
)

const vulnNote = " Reports come from `kubeharden scan --vuln-report FILE...` (Trivy `trivy image -f json` " +
	"or Grype `grype -o json` output) or `--scan-images` (runs trivy when it is on PATH); " +
	"without them the check reports nothing."

// vulnIndex finds the scanner reports about an image reference.
type vulnIndex struct {
	reports []*indexedReport
}

type indexedReport struct {
	r        *inventory.VulnReport
	nameTags map[string]bool // "docker.io/library/nginx:1.25"
	digests  map[string]bool // "sha256:…"
}

func newVulnIndex(reports []*inventory.VulnReport) *vulnIndex {
	x := &vulnIndex{}
	for _, r := range reports {
		ir := &indexedReport{r: r, nameTags: map[string]bool{}, digests: map[string]bool{}}
		for _, n := range append(append([]string{r.Image}, r.Tags...), r.Digests...) {
			if strings.HasPrefix(n, "sha256:") {
				ir.digests[n] = true
				continue
			}
			ref, err := ParseReference(n)
			if err != nil {
				continue
			}
			if ref.Digest != "" {
				ir.digests[ref.Digest] = true
			}
			if ref.Tag != "" || ref.Digest == "" {
				ir.nameTags[nameTag(ref)] = true
			}
		}
		x.reports = append(x.reports, ir)
	}
	return x
}

// nameTag is the normalised name:tag of a reference, "latest" when it has no tag.
func nameTag(ref Reference) string {
	tag := ref.Tag
	if tag == "" {
		tag = "latest"
	}
	return ref.Name() + ":" + tag
}

// match returns the vulnerabilities the reports give for an image, once each: reports match
// by digest (the reference's, or the digests inspection resolved it to), or by name and tag
// when the reference pins no digest or the report names none.
func (x *vulnIndex) match(image string, facts *inventory.ImageFacts) []inventory.Vulnerability {
	ref, err := ParseReference(image)
	if err != nil {
		return nil
	}
	var out []inventory.Vulnerability
	seen := map[string]bool{}
	for _, ir := range x.reports {
		byDigest := ref.Digest != "" && ir.digests[ref.Digest] ||
			facts != nil && (facts.Digest != "" && ir.digests[facts.Digest] || facts.PlatformDigest != "" && ir.digests[facts.PlatformDigest])
		byTag := ir.nameTags[nameTag(ref)] && (ref.Digest == "" || len(ir.digests) == 0)
		if !byDigest && !byTag {
			continue
		}
		for _, v := range ir.r.Vulnerabilities {
			k := v.ID + "\x00" + v.Package + "\x00" + v.Installed
			if !seen[k] {
				seen[k] = true
				out = append(out, v)
			}
		}
	}
	return out
}

// VulnSeverity maps a scanner's severity to a check severity: unknown and negligible ones
// are info.
func VulnSeverity(s string) check.Severity {
	switch strings.ToLower(s) {
	case "critical":
		return check.Critical
	case "high":
		return check.High
	case "medium":
		return check.Medium
	case "low":
		return check.Low
	}
	return check.Info
}

// describeVulns lists up to five vulnerabilities: those with a fix first, then the most
// severe.
func describeVulns(vs []inventory.Vulnerability) string {
	sort.SliceStable(vs, func(i, j int) bool {
		if (vs[i].Fixed != "") != (vs[j].Fixed != "") {
			return vs[i].Fixed != ""
		}
		if si, sj := VulnSeverity(vs[i].Severity), VulnSeverity(vs[j].Severity); si != sj {
			return si > sj
		}
		return vs[i].ID < vs[j].ID
	})
	var parts []string
	for i, v := range vs {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(vs)-5))
			break
		}
		s := v.ID + " in " + v.Package
		if v.Installed != "" {
			s += " " + v.Installed
		}
		if v.Fixed != "" {
			s += " (fixed in " + v.Fixed + ")"
		} else {
			s += " (no fix yet)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Vulnerable reports containers whose images have known vulnerabilities.
var Vulnerable = &check.Check{
	ID:    "images/vulnerable",
	Title: "Image has known vulnerabilities",
	Doc: "Vulnerability scanners list the CVEs in an image's packages; this check attaches them " +
		"to every workload that runs the image, so the report says which deployments carry " +
		"which CVEs. Reports are matched to containers by digest (the reference's, or the " +
		"digest --inspect-images resolved it to) or by normalised name and tag. Each container " +
		"gets one finding per severity, with that severity, naming the CVEs, their packages and " +
		"the versions that fix them (fixable ones first)." + vulnNote + " Fix it by rebuilding " +
		"the image with the fixed package versions or a patched base, and redeploying.",
	Severity:    check.High,
	References:  []string{refNSA + " (scan images for vulnerabilities)", refCIS, "CIS Docker Benchmark 4.4: rebuild images to include security patches"},
	Remediation: "Rebuild the image on a patched base or with the fixed package versions, and redeploy.",
	Kinds:       []string{check.Workloads},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		reports := p.Inv.ImageData().Vulnerabilities
		if len(reports) == 0 {
			return
		}
		x := newVulnIndex(reports)
		eachImage(p.Inv, func(t inventory.PodTemplate, img inventory.ImageRef) {
			vs := x.match(img.Image, factsOf(p, img.Image))
			bySev := map[check.Severity][]inventory.Vulnerability{}
			for _, v := range vs {
				s := VulnSeverity(v.Severity)
				bySev[s] = append(bySev[s], v)
			}
			for _, sev := range []check.Severity{check.Critical, check.High, check.Medium, check.Low, check.Info} {
				list := bySev[sev]
				if len(list) == 0 {
					continue
				}
				fixable := 0
				for _, v := range list {
					if v.Fixed != "" {
						fixable++
					}
				}
				word := sev.String()
				if sev == check.Info {
					word = "unrated"
				}
				p.Report(check.Diagnostic{
					Object:   t.Owner,
					Path:     img.Path + ".image",
					Severity: sev,
					Message: fmt.Sprintf("%s %q runs image %q with %s (%d fixable): %s", containerWord(img.Path), img.Container, img.Image,
						plural(len(list), word+" vulnerability", word+" vulnerabilities"), fixable, describeVulns(list)),
				})
			}
		})
	},
}

// exposedKinds are the entry points that make a workload reachable from outside the cluster.
// exposureReads are the kinds exposure.List follows from an entry point to a workload.
var exposureReads = append([]string{"Service", check.Workloads, "Ingress", "IngressClass", "Secret", "Gateway",
	"Namespace", "Certificate"}, exposure.RouteKinds...)

var exposedKinds = map[exposure.Kind]bool{
	exposure.Ingress: true, exposure.Gateway: true, exposure.LoadBalancer: true, exposure.NodePort: true,
	exposure.ExternalIP: true, exposure.HostPort: true,
}

// VulnerableExposed marks the workloads to fix first: reachable from outside and carrying
// fixable critical or high vulnerabilities.
var VulnerableExposed = &check.Check{
	ID:    "images/vulnerable-exposed",
	Title: "Exposed workload runs an image with fixable critical or high vulnerabilities",
	Doc: "A vulnerability is most urgent where an attacker can reach it and a fix exists. This " +
		"check ranks those workloads first: it reports, at critical severity, every container " +
		"whose image has critical or high vulnerabilities with a fixed version and whose " +
		"workload receives traffic from outside the cluster (an Ingress, a Gateway route, a " +
		"LoadBalancer or NodePort Service, an external IP or a host port, resolved as " +
		"`kubeharden exposure` does). The per-severity details stay in images/vulnerable." + vulnNote +
		" Fix these first: rebuild with the fixed versions and redeploy, or take the workload off " +
		"the network until then.",
	Severity:    check.Critical,
	References:  []string{refNSA + " (scan images for vulnerabilities)", "MITRE ATT&CK T1190 Exploit Public-Facing Application"},
	Remediation: "Patch this image first (rebuild with the fixed versions and redeploy), or restrict its exposure until it is patched.",
	Kinds:       []string{check.Workloads},
	Reads:       exposureReads,
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		reports := p.Inv.ImageData().Vulnerabilities
		if len(reports) == 0 {
			return
		}
		entries := map[inventory.Ref][]string{}
		for _, e := range exposure.List(p.Inv, p.Now) {
			if !exposedKinds[e.Kind] {
				continue
			}
			for _, b := range e.Backends {
				if b.Workload != nil {
					entries[*b.Workload] = appendOnce(entries[*b.Workload], fmt.Sprintf("%s %s (%s)", e.Kind, e.Object.Name, e.Endpoint))
				}
			}
		}
		if len(entries) == 0 {
			return
		}
		x := newVulnIndex(reports)
		eachImage(p.Inv, func(t inventory.PodTemplate, img inventory.ImageRef) {
			via := entries[t.Owner.Ref]
			if len(via) == 0 {
				return
			}
			var urgent []inventory.Vulnerability
			crit, high := 0, 0
			for _, v := range x.match(img.Image, factsOf(p, img.Image)) {
				s := VulnSeverity(v.Severity)
				if v.Fixed == "" || s < check.High {
					continue
				}
				urgent = append(urgent, v)
				if s == check.Critical {
					crit++
				} else {
					high++
				}
			}
			if len(urgent) == 0 {
				return
			}
			var counts []string
			if crit > 0 {
				counts = append(counts, fmt.Sprintf("%d critical", crit))
			}
			if high > 0 {
				counts = append(counts, fmt.Sprintf("%d high", high))
			}
			p.Reportf(t.Owner, img.Path+".image", "%s %q is exposed via %s and runs image %q with %s vulnerabilities that have fixes: %s",
				containerWord(img.Path), img.Container, strings.Join(firstN(via, 3), ", "), img.Image, strings.Join(counts, " and "), describeVulns(urgent))
		})
	},
}

func appendOnce(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

func init() {
	check.Register(Vulnerable, VulnerableExposed)
}
